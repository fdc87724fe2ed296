import { createRoute } from "@hono/zod-openapi";
import { listApiKeys } from "../../../../core/api-keys.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AccountParamsSchema, ApiKeyPageSchema, toApiKeyResponse } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/admin/accounts/{id}/api-keys",
  operationId: "listApiKeys",
  tags: ["API keys"],
  summary: "List the account's API keys (prefixes only, revoked ones included), newest first",
  security: ADMIN_SECURITY,
  request: { params: AccountParamsSchema, query: PageQuerySchema },
  responses: {
    200: { description: "A page of keys", content: { "application/json": { schema: ApiKeyPageSchema } } },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerListApiKeys = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listApiKeys(c.get("deps").db, c.req.valid("param").id, {
      limit,
      before: decodeCursor(cursor),
    });
    return c.json({ data: page.items.map(toApiKeyResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
