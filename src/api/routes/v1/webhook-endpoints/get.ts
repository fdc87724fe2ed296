import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { endpointService } from "./deps.js";
import { CUSTOMER_SECURITY, toEndpointResponse, WebhookEndpointSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "getWebhookEndpoint",
  tags: ["Webhook endpoints"],
  summary: "Get a webhook endpoint (without its secret)",
  security: CUSTOMER_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: "The endpoint", content: { "application/json": { schema: WebhookEndpointSchema } } },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerGetWebhookEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const endpoint = await endpointService(c).get(c.get("accountId"), c.req.valid("param").id);
    return c.json(toEndpointResponse(endpoint), 200);
  });
