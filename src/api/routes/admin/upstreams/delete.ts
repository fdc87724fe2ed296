import { createRoute } from "@hono/zod-openapi";
import { deleteUpstream } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { upstreamDeps } from "./deps.js";

const route = createRoute({
  method: "delete",
  path: "/admin/upstreams/{id}",
  operationId: "deleteUpstream",
  tags: ["Upstreams"],
  summary: "Delete an upstream and stop its sessions (409 while a route uses it)",
  description:
    "Messages and inbound SMS it carried keep showing its name; the name may be given to a new upstream.",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "VALIDATION_FAILED"),
  },
});

export const registerDeleteUpstream = (app: App) =>
  app.openapi(route, async (c) => {
    await deleteUpstream(upstreamDeps(c), c.req.valid("param").id);
    return c.body(null, 204);
  });
