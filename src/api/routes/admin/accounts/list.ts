import { createRoute } from "@hono/zod-openapi";
import { listAccounts } from "../../../../core/accounts.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AccountPageSchema, toAccountResponse } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/admin/accounts",
  operationId: "listAccounts",
  tags: ["Accounts"],
  summary: "List accounts, newest first",
  security: ADMIN_SECURITY,
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of accounts",
      content: { "application/json": { schema: AccountPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerListAccounts = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listAccounts(c.get("deps").db, { limit, before: decodeCursor(cursor) });
    return c.json({ data: page.items.map(toAccountResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
