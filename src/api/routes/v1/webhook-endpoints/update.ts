import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { endpointService } from "./deps.js";
import {
  CUSTOMER_SECURITY,
  toEndpointResponse,
  WebhookEndpointPatchSchema,
  WebhookEndpointSchema,
} from "./schemas.js";

const route = createRoute({
  method: "patch",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "updateWebhookEndpoint",
  tags: ["Webhook endpoints"],
  summary: "Change a webhook endpoint's url, events, description or enabled flag",
  description:
    "Absent fields are kept. `enabled: false` stops deliveries (those still waiting become `dead` and can " +
    "be retried by hand); `enabled: true` re-enables an endpoint the service disabled after a 410.",
  security: CUSTOMER_SECURITY,
  request: {
    params: IdParamsSchema,
    body: { required: true, content: { "application/json": { schema: WebhookEndpointPatchSchema } } },
  },
  responses: {
    200: {
      description: "The updated endpoint",
      content: { "application/json": { schema: WebhookEndpointSchema } },
    },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "NOT_FOUND",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerUpdateWebhookEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const endpoint = await endpointService(c).update(c.get("accountId"), c.req.valid("param").id, {
      url: body.url,
      events: body.events,
      description: body.description,
      enabled: body.enabled,
    });
    return c.json(toEndpointResponse(endpoint), 200);
  });
