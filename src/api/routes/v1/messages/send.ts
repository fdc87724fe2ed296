import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { REPLAYED_HEADER, SEND_PROBLEMS, toMessageApiError } from "./errors.js";
import { CUSTOMER_SECURITY, IdempotencyHeadersSchema, MessageSchema, SendMessageSchema } from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/messages",
  operationId: "sendMessage",
  tags: ["Messages"],
  summary: "Send an SMS",
  description:
    "Validates, encodes and segments the text, and answers 202 only once the message is stored. " +
    "A repeat with the same Idempotency-Key answers the first response (header `Idempotent-Replayed: true`).",
  security: CUSTOMER_SECURITY,
  request: {
    headers: IdempotencyHeadersSchema,
    body: { required: true, content: { "application/json": { schema: SendMessageSchema } } },
  },
  responses: {
    202: { description: "Accepted and stored", content: { "application/json": { schema: MessageSchema } } },
    ...SEND_PROBLEMS,
  },
});

export const registerSendMessage = (app: App) =>
  app.openapi(route, async (c) => {
    const key = c.req.valid("header")["idempotency-key"];
    try {
      const result = await c.get("deps").messages.send(c.get("accountId"), c.req.valid("json"), key);
      if (result.replayed) c.header(REPLAYED_HEADER, "true");
      return c.json(result.body, 202);
    } catch (error) {
      throw toMessageApiError(error);
    }
  });
