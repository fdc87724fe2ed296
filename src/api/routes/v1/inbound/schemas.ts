import { z } from "@hono/zod-openapi";
import type { InboundRow } from "../../../../core/inbound/queries.js";
import { type InboundMessage, serializeInbound } from "../../../../core/inbound/serialize.js";
import { ENCODINGS } from "../../../../db/schema.js";
import { receivingNumberField, timestamp } from "../../../fields.js";
import { PageQuerySchema, pageSchema } from "../../../pagination.js";

/** Request and response shapes of /v1/inbound (DESIGN.md §4). */

/** OpenAPI `security` of the customer routes: an API key as bearer token. */
export const INBOUND_SECURITY = [{ apiKey: [] }];

export const InboundMessageSchema = z
  .object({
    id: z.string().openapi({ example: "inb_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    from: z.string().openapi({
      description:
        "The sender: E.164 with `+`, a national number or short code as digits, or an alphanumeric sender as received",
      example: "+447700900456",
    }),
    to: z.string().openapi({
      description: "Your number it was sent to: E.164 with `+`, or a short code",
      example: "+447700900123",
    }),
    text: z.string().openapi({
      description:
        "The whole text, a concatenated SMS reassembled; upper-case hex when `encoding` is `binary`",
    }),
    encoding: z
      .enum(ENCODINGS)
      .openapi({ description: "How the SMS was coded; `binary` data is shown as hex" }),
    segments: z.number().int().openapi({ description: "SMS segments it came in", example: 1 }),
    received_at: timestamp(),
    upstream: z.string().nullable().openapi({ description: "Name of the upstream SMSC it came from" }),
    incomplete: z.boolean().openapi({
      description: "True when a concatenated SMS was surfaced with segments missing after waiting for them",
    }),
  })
  .openapi("InboundMessage");

export const InboundPageSchema = pageSchema(InboundMessageSchema, "InboundMessagePage");

export const InboundListQuerySchema = PageQuerySchema.extend({
  to: receivingNumberField()
    .optional()
    .openapi({
      param: { name: "to", in: "query" },
      description: "Only SMS to this number (`+` optional) or short code",
    }),
});

export function toInboundResponse(row: InboundRow): InboundMessage {
  return serializeInbound(row);
}
