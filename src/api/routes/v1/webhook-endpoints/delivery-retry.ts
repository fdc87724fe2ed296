import { createRoute } from "@hono/zod-openapi";
import { retryDelivery } from "../../../../core/webhooks/index.js";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import {
  CUSTOMER_SECURITY,
  DeliveryParamsSchema,
  toDeliveryResponse,
  WebhookDeliverySchema,
} from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/retry",
  operationId: "retryWebhookDelivery",
  tags: ["Webhook endpoints"],
  summary: "Send a delivery again now",
  description:
    "Whatever its status (also `dead` or `succeeded`), the delivery is queued for an attempt now and " +
    "answered 202 as `pending`. 409 while the endpoint is disabled.",
  security: CUSTOMER_SECURITY,
  request: { params: DeliveryParamsSchema },
  responses: {
    202: {
      description: "Queued for sending now",
      content: { "application/json": { schema: WebhookDeliverySchema } },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "VALIDATION_FAILED"),
  },
});

export const registerRetryWebhookDelivery = (app: App) =>
  app.openapi(route, async (c) => {
    const { id, delivery_id } = c.req.valid("param");
    const delivery = await retryDelivery(c.get("deps").db, c.get("accountId"), id, delivery_id);
    c.get("deps").wakeWebhooks();
    return c.json(toDeliveryResponse(delivery), 202);
  });
