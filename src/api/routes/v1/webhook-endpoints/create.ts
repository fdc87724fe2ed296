import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { endpointService } from "./deps.js";
import {
  CUSTOMER_SECURITY,
  toEndpointWithSecretResponse,
  WebhookEndpointCreateSchema,
  WebhookEndpointWithSecretSchema,
} from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints",
  operationId: "createWebhookEndpoint",
  tags: ["Webhook endpoints"],
  summary: "Create a webhook endpoint",
  description:
    "Answers 201 with the endpoint and its signing `secret` (`whsec_…`), shown this once. URLs must be " +
    "http(s); a host that is or resolves to a loopback, private, link-local or metadata address is a 422.",
  security: CUSTOMER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: WebhookEndpointCreateSchema } } },
  },
  responses: {
    201: {
      description: "Created, with the secret",
      content: { "application/json": { schema: WebhookEndpointWithSecretSchema } },
    },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerCreateWebhookEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const endpoint = await endpointService(c).create(c.get("accountId"), {
      url: body.url,
      events: body.events,
      description: body.description,
    });
    return c.json(toEndpointWithSecretResponse(endpoint), 201);
  });
