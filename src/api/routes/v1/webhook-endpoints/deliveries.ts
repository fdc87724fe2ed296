import { createRoute } from "@hono/zod-openapi";
import { listDeliveries } from "../../../../core/webhooks/index.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { CUSTOMER_SECURITY, toDeliveryResponse, WebhookDeliveryPageSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["Webhook endpoints"],
  summary: "List the endpoint's deliveries, newest first",
  security: CUSTOMER_SECURITY,
  request: { params: IdParamsSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of deliveries",
      content: { "application/json": { schema: WebhookDeliveryPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerListWebhookDeliveries = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listDeliveries(c.get("deps").db, c.get("accountId"), c.req.valid("param").id, {
      limit,
      before: decodeCursor(cursor),
    });
    return c.json({ data: page.items.map(toDeliveryResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
