import { createRoute, z } from "@hono/zod-openapi";
import { listNumbers } from "../../../../core/numbers.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { NumberPageSchema, toNumberResponse } from "./schemas.js";

const QuerySchema = PageQuerySchema.extend({
  account_id: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "account_id", in: "query" }, description: "Only this account's numbers" }),
});

const route = createRoute({
  method: "get",
  path: "/admin/numbers",
  operationId: "listNumbers",
  tags: ["Numbers"],
  summary: "List inbound numbers, newest first",
  security: ADMIN_SECURITY,
  request: { query: QuerySchema },
  responses: {
    200: { description: "A page of numbers", content: { "application/json": { schema: NumberPageSchema } } },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerListNumbers = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor, account_id } = c.req.valid("query");
    const page = await listNumbers(
      c.get("deps").db,
      { limit, before: decodeCursor(cursor) },
      { accountId: account_id },
    );
    return c.json({ data: page.items.map(toNumberResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
