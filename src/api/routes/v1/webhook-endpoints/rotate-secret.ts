import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { endpointService } from "./deps.js";
import {
  CUSTOMER_SECURITY,
  toEndpointWithSecretResponse,
  WebhookEndpointWithSecretSchema,
} from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  operationId: "rotateWebhookEndpointSecret",
  tags: ["Webhook endpoints"],
  summary: "Replace the signing secret",
  description:
    "Answers with the new `secret`, shown this once. For 24 hours the previous secret keeps signing " +
    "beside it: `webhook-signature` then carries two `v1,` signatures, and either verifies.",
  security: CUSTOMER_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: {
      description: "The endpoint with its new secret",
      content: { "application/json": { schema: WebhookEndpointWithSecretSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerRotateWebhookEndpointSecret = (app: App) =>
  app.openapi(route, async (c) => {
    const endpoint = await endpointService(c).rotateSecret(c.get("accountId"), c.req.valid("param").id);
    return c.json(toEndpointWithSecretResponse(endpoint), 200);
  });
