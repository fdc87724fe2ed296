import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { REPLAYED_HEADER, SEND_PROBLEMS, toMessageApiError } from "./errors.js";
import {
  CUSTOMER_SECURITY,
  IdempotencyHeadersSchema,
  MessageBatchSchema,
  SendBatchSchema,
} from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/messages/batch",
  operationId: "sendMessageBatch",
  tags: ["Messages"],
  summary: "Send 1–1000 SMS, all or nothing",
  description:
    "One invalid item fails the whole request with 422 and `errors[].path` like `messages.7.to`; " +
    "otherwise every message is stored in one transaction and returned in request order.",
  security: CUSTOMER_SECURITY,
  request: {
    headers: IdempotencyHeadersSchema,
    body: { required: true, content: { "application/json": { schema: SendBatchSchema } } },
  },
  responses: {
    202: {
      description: "All accepted and stored",
      content: { "application/json": { schema: MessageBatchSchema } },
    },
    ...SEND_PROBLEMS,
  },
});

export const registerSendMessageBatch = (app: App) =>
  app.openapi(route, async (c) => {
    const key = c.req.valid("header")["idempotency-key"];
    try {
      const { messages } = c.req.valid("json");
      const result = await c.get("deps").messages.sendBatch(c.get("accountId"), messages, key);
      if (result.replayed) c.header(REPLAYED_HEADER, "true");
      return c.json(result.body, 202);
    } catch (error) {
      throw toMessageApiError(error);
    }
  });
