import { createRoute } from "@hono/zod-openapi";
import { deleteRoute } from "../../../../core/routes.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";

const route = createRoute({
  method: "delete",
  path: "/admin/routes/{id}",
  operationId: "deleteRoute",
  tags: ["Routes"],
  summary: "Delete a route",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND"),
  },
});

export const registerDeleteRoute = (app: App) =>
  app.openapi(route, async (c) => {
    await deleteRoute(c.get("deps").db, c.req.valid("param").id);
    return c.body(null, 204);
  });
