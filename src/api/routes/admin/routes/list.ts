import { createRoute, z } from "@hono/zod-openapi";
import { listRoutes } from "../../../../core/routes.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { RoutePageSchema, toRouteResponse } from "./schemas.js";

const QuerySchema = PageQuerySchema.extend({
  account_id: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "account_id", in: "query" }, description: "Only this account's routes" }),
});

const route = createRoute({
  method: "get",
  path: "/admin/routes",
  operationId: "listRoutes",
  tags: ["Routes"],
  summary: "List routes, newest first",
  security: ADMIN_SECURITY,
  request: { query: QuerySchema },
  responses: {
    200: { description: "A page of routes", content: { "application/json": { schema: RoutePageSchema } } },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerListRoutes = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor, account_id } = c.req.valid("query");
    const page = await listRoutes(
      c.get("deps").db,
      { limit, before: decodeCursor(cursor) },
      { accountId: account_id },
    );
    return c.json({ data: page.items.map(toRouteResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
