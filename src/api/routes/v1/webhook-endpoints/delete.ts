import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { endpointService } from "./deps.js";
import { CUSTOMER_SECURITY } from "./schemas.js";

const route = createRoute({
  method: "delete",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "deleteWebhookEndpoint",
  tags: ["Webhook endpoints"],
  summary: "Delete a webhook endpoint with its delivery log",
  security: CUSTOMER_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerDeleteWebhookEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    await endpointService(c).delete(c.get("accountId"), c.req.valid("param").id);
    return c.body(null, 204);
  });
