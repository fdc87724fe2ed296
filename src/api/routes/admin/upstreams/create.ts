import { createRoute } from "@hono/zod-openapi";
import { createUpstream } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { upstreamDeps } from "./deps.js";
import { toUpstreamPatch, toUpstreamResponse, UpstreamCreateSchema, UpstreamSchema } from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/admin/upstreams",
  operationId: "createUpstream",
  tags: ["Upstreams"],
  summary: "Create an upstream SMSC and start its sessions",
  security: ADMIN_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: UpstreamCreateSchema } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: UpstreamSchema } } },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "CONFLICT",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerCreateUpstream = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const upstream = await createUpstream(upstreamDeps(c), {
      ...toUpstreamPatch(body),
      name: body.name,
      host: body.host,
      port: body.port,
      systemId: body.system_id,
      password: body.password,
    });
    return c.json(toUpstreamResponse(upstream), 201);
  });
