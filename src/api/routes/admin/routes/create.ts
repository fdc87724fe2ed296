import { createRoute as defineRoute } from "@hono/zod-openapi";
import { createRoute } from "../../../../core/routes.js";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { RouteCreateSchema, RouteSchema, toRouteResponse } from "./schemas.js";

const route = defineRoute({
  method: "post",
  path: "/admin/routes",
  operationId: "createRoute",
  tags: ["Routes"],
  summary: "Create a route: destination prefix → upstreams in failover order",
  description:
    "The longest matching prefix wins; an account's own route beats a shared one. Unknown upstream or " +
    "account ids are a 422 on that field; a second route for the same prefix and account is a 409.",
  security: ADMIN_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: RouteCreateSchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: RouteSchema } } },
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

export const registerCreateRoute = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const deps = c.get("deps");
    const created = await createRoute(deps.db, {
      prefix: body.prefix,
      upstreamIds: body.upstream_ids,
      accountId: body.account_id ?? null,
    });
    deps.routesChanged();
    return c.json(toRouteResponse(created), 201);
  });
