import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { CUSTOMER_SECURITY, MessageListQuerySchema, MessagePageSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/messages",
  operationId: "listMessages",
  tags: ["Messages"],
  summary: "List messages, newest first",
  security: CUSTOMER_SECURITY,
  request: { query: MessageListQuerySchema },
  responses: {
    200: {
      description: "A page of messages",
      content: { "application/json": { schema: MessagePageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED", "SERVICE_UNAVAILABLE"),
  },
});

export const registerListMessages = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor, status, to, client_reference } = c.req.valid("query");
    const page = await c
      .get("deps")
      .messages.list(
        c.get("accountId"),
        { status, to, clientReference: client_reference },
        { limit, before: decodeCursor(cursor) },
      );
    return c.json({ data: page.items, next_cursor: encodeCursor(page.next) }, 200);
  });
