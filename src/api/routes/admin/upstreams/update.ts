import { createRoute } from "@hono/zod-openapi";
import { updateUpstream } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { upstreamDeps } from "./deps.js";
import { toUpstreamPatch, toUpstreamResponse, UpstreamPatchSchema, UpstreamSchema } from "./schemas.js";

const route = createRoute({
  method: "patch",
  path: "/admin/upstreams/{id}",
  operationId: "updateUpstream",
  tags: ["Upstreams"],
  summary: "Change an upstream; its live sessions rebind with the new settings",
  description:
    "A taken name is a 409, and so is a change without `password` when the stored password cannot be " +
    "decrypted with this instance's SECRET_KEY (nothing is changed; send `password` to store it again).",
  security: ADMIN_SECURITY,
  request: {
    params: IdParamsSchema,
    body: { required: true, content: { "application/json": { schema: UpstreamPatchSchema } } },
  },
  responses: {
    200: { description: "The updated upstream", content: { "application/json": { schema: UpstreamSchema } } },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "NOT_FOUND",
      "CONFLICT",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerUpdateUpstream = (app: App) =>
  app.openapi(route, async (c) => {
    const upstream = await updateUpstream(
      upstreamDeps(c),
      c.req.valid("param").id,
      toUpstreamPatch(c.req.valid("json")),
    );
    return c.json(toUpstreamResponse(upstream), 200);
  });
