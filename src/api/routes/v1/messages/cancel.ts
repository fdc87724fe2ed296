import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { CUSTOMER_SECURITY, MessageSchema } from "./schemas.js";

const route = createRoute({
  method: "delete",
  path: "/v1/messages/{id}",
  operationId: "cancelMessage",
  tags: ["Messages"],
  summary: "Cancel a message that is still scheduled or queued",
  description: "Answers 200 with the message, now `canceled`; 409 once it is being sent or later.",
  security: CUSTOMER_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: "The canceled message", content: { "application/json": { schema: MessageSchema } } },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "VALIDATION_FAILED", "SERVICE_UNAVAILABLE"),
  },
});

export const registerCancelMessage = (app: App) =>
  app.openapi(route, async (c) => {
    const message = await c.get("deps").messages.cancel(c.get("accountId"), c.req.valid("param").id);
    return c.json(message, 200);
  });
