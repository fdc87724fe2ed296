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
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerDeleteRoute = (app: App) =>
  app.openapi(route, async (c) => {
    const deps = c.get("deps");
    await deleteRoute(deps.db, c.req.valid("param").id);
    deps.routesChanged();
    return c.body(null, 204);
  });
