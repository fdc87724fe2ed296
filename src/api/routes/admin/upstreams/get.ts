import { createRoute } from "@hono/zod-openapi";
import { getUpstream } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { toUpstreamResponse, UpstreamSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/admin/upstreams/{id}",
  operationId: "getUpstream",
  tags: ["Upstreams"],
  summary: "Get an upstream",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: "The upstream", content: { "application/json": { schema: UpstreamSchema } } },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerGetUpstream = (app: App) =>
  app.openapi(route, async (c) => {
    const upstream = await getUpstream(c.get("deps").db, c.req.valid("param").id);
    return c.json(toUpstreamResponse(upstream), 200);
  });
