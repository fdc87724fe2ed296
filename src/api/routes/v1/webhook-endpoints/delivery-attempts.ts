import { createRoute } from "@hono/zod-openapi";
import { listAttempts } from "../../../../core/webhooks/index.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import {
  CUSTOMER_SECURITY,
  DeliveryParamsSchema,
  toAttemptResponse,
  WebhookAttemptPageSchema,
} from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/attempts",
  operationId: "listWebhookDeliveryAttempts",
  tags: ["Webhook endpoints"],
  summary: "List one delivery's attempts, newest first",
  description: "Each attempt with its status code, the first bytes of the answer, its duration and error.",
  security: CUSTOMER_SECURITY,
  request: { params: DeliveryParamsSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of attempts",
      content: { "application/json": { schema: WebhookAttemptPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerListWebhookDeliveryAttempts = (app: App) =>
  app.openapi(route, async (c) => {
    const { id, delivery_id } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const page = await listAttempts(c.get("deps").db, c.get("accountId"), id, delivery_id, {
      limit,
      before: decodeCursor(cursor),
    });
    return c.json({ data: page.items.map(toAttemptResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
