import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { CUSTOMER_SECURITY, MessageSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/messages/{id}",
  operationId: "getMessage",
  tags: ["Messages"],
  summary: "Get a message with its parts",
  security: CUSTOMER_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: "The message", content: { "application/json": { schema: MessageSchema } } },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED", "SERVICE_UNAVAILABLE"),
  },
});

export const registerGetMessage = (app: App) =>
  app.openapi(route, async (c) => {
    const message = await c.get("deps").messages.get(c.get("accountId"), c.req.valid("param").id);
    return c.json(message, 200);
  });
