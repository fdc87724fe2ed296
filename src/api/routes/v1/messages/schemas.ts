import { z } from "@hono/zod-openapi";
import { normalizeNumber } from "../../../../core/messages/validate/addresses.js";
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from "../../../../core/messages/validate/message.js";
import { MAX_TEXT_CHARACTERS } from "../../../../core/messages/validate/text.js";
import { MESSAGE_STATUSES, PART_STATUSES } from "../../../../db/schema.js";
import { timestamp } from "../../../fields.js";
import { PageQuerySchema, pageSchema } from "../../../pagination.js";

/**
 * Request and response shapes of /v1/messages (DESIGN.md §4). The schemas check shape only (types,
 * lengths, enums); what a number, sender or text means is checked by core/messages/validate, which
 * reports with the same `errors[].path` convention. Built once at module load, never per request.
 */

/** OpenAPI `security` of the customer routes: an API key as bearer token. */
export const CUSTOMER_SECURITY = [{ apiKey: [] }];

export const ENCODING_CHOICES = ["auto", "gsm7", "latin1", "ucs2"] as const;
/** Most messages in one batch request. */
export const MAX_BATCH_MESSAGES = 1000;

const sendFields = {
  to: z.string().openapi({
    description:
      "International number with its country code, `+` optional (`00` is read as `+`), 6–15 digits " +
      "(spaces, dashes, dots, parentheses ignored); a national number starting with 0 is refused",
    example: "+447700900123",
  }),
  from: z.string().openapi({
    description:
      "Alphanumeric sender (1–11 GSM characters, at least one letter; € and the Greek capitals cannot " +
      "be sent in a sender), short code (3–8 digits) or " +
      "international number (`+` and 6–15 digits, or 9–15 digits). Required unless the account has a default sender.",
    example: "ACME",
  }),
  text: z.string().openapi({
    description: `1 to ${MAX_TEXT_CHARACTERS} characters, split into as many segments as needed (at most 255)`,
    minLength: 1,
    maxLength: MAX_TEXT_CHARACTERS,
    example: "Your code is 123456",
  }),
  encoding: z.enum(ENCODING_CHOICES).openapi({
    description: "`auto`: GSM 03.38 when every character fits, else UCS-2",
  }),
  client_reference: z
    .string()
    .min(1)
    .max(64)
    .openapi({ description: "Your reference, echoed in the message and its webhooks" }),
  // The range is checked with the content (core/messages/validate), so it is reported beside the
  // other content failures of the request instead of alone.
  validity_period: z.number().int().openapi({
    description: "Seconds, 60–604800; retries stop when it runs out",
    minimum: MIN_VALIDITY_SECONDS,
    maximum: MAX_VALIDITY_SECONDS,
  }),
  send_at: z.iso.datetime({ offset: true }).openapi({
    description: "ISO 8601 with a zone; in the future the message is `scheduled` until then",
    example: "2030-01-31T12:00:00Z",
  }),
  delivery_report: z.boolean().openapi({ description: "Ask the SMSC for a delivery receipt" }),
  status_callback_url: z
    .url({ protocol: /^https?$/, error: "Must be an http or https URL" })
    .max(2048)
    .openapi({
      description:
        "Extra webhook target for this message's events. Like an endpoint's URL it must be public: a " +
        "loopback, private or link-local IP address or a `localhost` name is refused (422) unless the " +
        "service runs with WEBHOOK_ALLOW_PRIVATE=true; a name resolving to one is refused at delivery.",
    }),
};

export const SendMessageSchema = z
  .strictObject({
    to: sendFields.to,
    from: sendFields.from.optional(),
    text: sendFields.text,
    encoding: sendFields.encoding.default("auto"),
    client_reference: sendFields.client_reference.optional(),
    validity_period: sendFields.validity_period.optional(),
    send_at: sendFields.send_at.optional(),
    delivery_report: sendFields.delivery_report.default(true),
    status_callback_url: sendFields.status_callback_url.optional(),
  })
  .openapi("SendMessage");

export const SendBatchSchema = z
  .strictObject({
    messages: z
      .array(SendMessageSchema)
      .min(1)
      .max(MAX_BATCH_MESSAGES)
      .openapi({ description: "1 to 1000 messages, accepted all or none" }),
  })
  .openapi("SendMessageBatch");

/** A send body; `to` may be left out since nothing is sent. */
export const PreviewRequestSchema = z
  .strictObject({ ...SendMessageSchema.shape, to: sendFields.to.optional() })
  .openapi("PreviewRequest");

export const PreviewSchema = z
  .object({
    encoding: z.enum(["gsm7", "latin1", "ucs2"]),
    segments: z.number().int(),
    characters: z.number().int().openapi({ description: "Characters (code points) in the text" }),
    parts: z.array(
      z.object({
        index: z.number().int().openapi({ description: "1-based" }),
        text: z.string(),
        units: z.number().int().openapi({
          description: "Septets (gsm7, extension characters count 2), octets (latin1) or UTF-16 units (ucs2)",
        }),
      }),
    ),
  })
  .openapi("MessagePreview");

export const MessageSchema = z
  .object({
    id: z.string().openapi({ example: "msg_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    status: z.enum(MESSAGE_STATUSES),
    to: z.string().openapi({ example: "+447700900123" }),
    from: z.string(),
    text: z.string(),
    encoding: z.string().openapi({ example: "gsm7" }),
    segments: z.number().int(),
    client_reference: z.string().nullable(),
    created_at: timestamp(),
    updated_at: timestamp(),
    send_at: timestamp().nullable(),
    submitted_at: timestamp().nullable(),
    done_at: timestamp().nullable(),
    upstream: z.string().nullable().openapi({ description: "Upstream name; null before routing" }),
    error: z
      .object({
        code: z.string().openapi({ example: "SMSC_REJECTED" }),
        message: z.string(),
        smpp_command_status: z.number().int().optional(),
        dlr_stat: z.string().optional(),
        dlr_err: z.string().optional(),
      })
      .nullable(),
    parts: z.array(
      z.object({
        index: z.number().int(),
        smsc_message_id: z.string().nullable(),
        status: z.enum(PART_STATUSES),
        submitted_at: timestamp().nullable(),
        done_at: timestamp().nullable(),
        dlr_stat: z.string().nullable(),
        dlr_err: z.string().nullable(),
      }),
    ),
  })
  .openapi("Message");

export const MessageBatchSchema = z.object({ data: z.array(MessageSchema) }).openapi("MessageBatch");

export const MessagePageSchema = pageSchema(MessageSchema, "MessagePage");

export const MessageListQuerySchema = PageQuerySchema.extend({
  status: z
    .enum(MESSAGE_STATUSES)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  to: z
    .string()
    .transform((value, ctx) => {
      const number = normalizeNumber(value);
      if (number.ok) return number.value;
      ctx.addIssue({ code: "custom", message: number.message });
      return z.NEVER;
    })
    .optional()
    .openapi({ param: { name: "to", in: "query" }, description: "With or without `+`" }),
  client_reference: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: "client_reference", in: "query" } }),
});

/** Printable ASCII: what survives every proxy in a header. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]+$/;

export const IdempotencyHeadersSchema = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .regex(IDEMPOTENCY_KEY, "Must be printable ASCII")
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "Up to 255 characters. The same key with the same body within 24 h returns the first response " +
        "and sends nothing new; with a different body it is a 409.",
    }),
});
