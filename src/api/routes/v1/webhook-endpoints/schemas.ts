import { z } from "@hono/zod-openapi";
import type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from "../../../../core/webhooks/index.js";
import { DELIVERY_STATUSES, EVENT_TYPES } from "../../../../db/schema.js";
import { iso, timestamp } from "../../../fields.js";
import { pageSchema } from "../../../pagination.js";

/** OpenAPI `security` of the customer routes: an API key as bearer token. */
export const CUSTOMER_SECURITY = [{ apiKey: [] }];

const eventTypes = z
  .array(z.enum(EVENT_TYPES))
  .min(1)
  .max(EVENT_TYPES.length * 2)
  .openapi({ example: ["message.delivered", "inbound.received"] });

const fields = {
  url: z.string().min(1).max(2048).openapi({
    description: "http(s) URL; private, loopback and link-local targets are refused",
    example: "https://example.com/webhooks/sms",
  }),
  events: eventTypes
    .nullable()
    .openapi({ description: "Event types to receive; omitted or null: every type" }),
  description: z.string().max(500).nullable().openapi({ example: "Production receiver" }),
};

export const WebhookEndpointCreateSchema = z
  .strictObject({
    url: fields.url,
    events: fields.events.optional(),
    description: fields.description.optional(),
  })
  .openapi("WebhookEndpointCreate");

export const WebhookEndpointPatchSchema = z
  .strictObject({
    url: fields.url.optional(),
    events: fields.events.optional(),
    description: fields.description.optional(),
    enabled: z
      .boolean()
      .optional()
      .openapi({ description: "false stops deliveries (waiting ones become dead)" }),
  })
  .openapi("WebhookEndpointPatch");

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: "whe_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    url: z.string(),
    events: z.array(z.enum(EVENT_TYPES)).openapi({ description: "Subscribed event types" }),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why the service disabled it (e.g. the receiver answered 410 Gone)" }),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({
    description: "Signing secret (Standard Webhooks). Shown only here: store it now.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("WebhookEndpointWithSecret");

export const WebhookEndpointPageSchema = pageSchema(WebhookEndpointSchema, "WebhookEndpointPage");

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: "whd_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    event_id: z
      .string()
      .openapi({ description: "Also the `webhook-id` header", example: "evt_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    event_type: z.enum(EVENT_TYPES),
    status: z.enum(DELIVERY_STATUSES).openapi({
      description:
        "pending: not tried yet or being sent; failed: last attempt failed, another is scheduled; dead: no more attempts",
    }),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: timestamp().nullable(),
    created_at: timestamp(),
  })
  .openapi("WebhookDelivery");

export const WebhookDeliveryPageSchema = pageSchema(WebhookDeliverySchema, "WebhookDeliveryPage");

export const WebhookAttemptSchema = z
  .object({
    id: z.string().openapi({ example: "wha_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    attempted_at: timestamp(),
    status_code: z.number().int().nullable().openapi({ description: "Null when no HTTP answer came" }),
    response_body: z.string().nullable().openapi({ description: "First 1024 bytes of the answer" }),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

export const WebhookAttemptPageSchema = pageSchema(WebhookAttemptSchema, "WebhookAttemptPage");

export const DeliveryParamsSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "whe_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
  delivery_id: z
    .string()
    .openapi({ param: { name: "delivery_id", in: "path" }, example: "whd_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
});

export function toEndpointResponse(e: WebhookEndpoint): z.infer<typeof WebhookEndpointSchema> {
  return {
    id: e.id,
    url: e.url,
    events: e.events ?? [...EVENT_TYPES],
    description: e.description,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
  };
}

export function toEndpointWithSecretResponse(
  e: WebhookEndpointWithSecret,
): z.infer<typeof WebhookEndpointWithSecretSchema> {
  return { ...toEndpointResponse(e), secret: e.secret };
}

export function toDeliveryResponse(d: WebhookDelivery): z.infer<typeof WebhookDeliverySchema> {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    next_attempt_at: iso(d.nextAttemptAt),
    created_at: iso(d.createdAt),
  };
}

export function toAttemptResponse(a: WebhookAttempt): z.infer<typeof WebhookAttemptSchema> {
  return {
    id: a.id,
    attempted_at: iso(a.attemptedAt),
    status_code: a.statusCode,
    response_body: a.responseBody,
    duration_ms: a.durationMs,
    error: a.error,
  };
}
