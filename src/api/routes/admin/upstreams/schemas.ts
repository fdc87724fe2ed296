import { z } from "@hono/zod-openapi";
import type { Upstream, UpstreamPatch } from "../../../../core/upstreams.js";
import { BIND_MODES, DCS0_CHARSETS, LONG_MESSAGE_MODES, MESSAGE_ID_FORMATS } from "../../../../db/schema.js";
import { hostField, iso, PRINTABLE_ASCII, timestamp } from "../../../fields.js";
import { pageSchema } from "../../../pagination.js";

/**
 * The Upstream resource. TLS is flat: `tls` (boolean) switches it on, and the optional `tls_ca`,
 * `tls_servername` and `tls_insecure` tune it, so `tls: true` alone means "TLS with the system CAs".
 */

const octet = () => z.number().int().min(0).max(255);

/** Every writable field, without defaults: PATCH takes any subset of these. */
const fields = {
  name: z.string().trim().min(1).max(64).openapi({ example: "primary-smsc" }),
  host: hostField(),
  port: z.number().int().min(1).max(65535).openapi({ example: 2775 }),
  tls: z.boolean().openapi({ description: "Connect with TLS" }),
  tls_ca: z
    .string()
    .max(65536)
    .refine((pem) => pem.includes("-----BEGIN CERTIFICATE-----"), "Must be a PEM certificate bundle")
    .nullable()
    .openapi({ description: "PEM CA bundle to trust instead of the system CAs; null: system CAs" }),
  tls_servername: hostField()
    .nullable()
    .openapi({ description: "Certificate name (SNI) when it differs from host; null: host" }),
  tls_insecure: z.boolean().openapi({ description: "Skip certificate verification (test SMSCs only)" }),
  system_id: z
    .string()
    .min(1)
    .max(15)
    .regex(PRINTABLE_ASCII, "Must be printable ASCII")
    .openapi({ description: "SMPP system_id (at most 15 characters)", example: "bridge" }),
  password: z
    .string()
    .max(8)
    .regex(PRINTABLE_ASCII, "Must be printable ASCII")
    .openapi({ description: "SMPP password (at most 8 characters); write-only", example: "secret" }),
  system_type: z.string().max(12).regex(PRINTABLE_ASCII, "Must be printable ASCII"),
  bind_mode: z.enum(BIND_MODES),
  sessions: z.number().int().min(1).max(64).openapi({ description: "Sessions kept bound, 1–64" }),
  window: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .openapi({ description: "Outstanding requests per session, 1–1000" }),
  max_tps: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .nullable()
    .openapi({ description: "Submits per second across all sessions; null: unlimited" }),
  enquire_link_interval: z.number().int().min(1).max(3600).openapi({ description: "Seconds, 1–3600" }),
  response_timeout: z.number().int().min(1).max(300).openapi({ description: "Seconds, 1–300" }),
  source_ton: octet().nullable().openapi({ description: "null: chosen per sender (alphanumeric 5, else 1)" }),
  source_npi: octet().nullable().openapi({ description: "null: chosen per sender" }),
  dest_ton: octet().nullable().openapi({ description: "null: 1 (international)" }),
  dest_npi: octet().nullable().openapi({ description: "null: 1 (ISDN/E.164)" }),
  dcs0_charset: z.enum(DCS0_CHARSETS).openapi({ description: "What data_coding 0 means to this SMSC" }),
  long_message_mode: z.enum(LONG_MESSAGE_MODES),
  message_id_format: z.enum(MESSAGE_ID_FORMATS),
  enabled: z.boolean().openapi({ description: "false: keep the configuration, hold no session" }),
};

export const UpstreamCreateSchema = z
  .strictObject({
    name: fields.name,
    host: fields.host,
    port: fields.port,
    tls: fields.tls.default(false),
    tls_ca: fields.tls_ca.default(null),
    tls_servername: fields.tls_servername.default(null),
    tls_insecure: fields.tls_insecure.default(false),
    system_id: fields.system_id,
    password: fields.password,
    system_type: fields.system_type.default(""),
    bind_mode: fields.bind_mode.default("transceiver"),
    sessions: fields.sessions.default(1),
    window: fields.window.default(10),
    max_tps: fields.max_tps.default(null),
    enquire_link_interval: fields.enquire_link_interval.default(30),
    response_timeout: fields.response_timeout.default(10),
    source_ton: fields.source_ton.default(null),
    source_npi: fields.source_npi.default(null),
    dest_ton: fields.dest_ton.default(null),
    dest_npi: fields.dest_npi.default(null),
    dcs0_charset: fields.dcs0_charset.default("gsm7"),
    long_message_mode: fields.long_message_mode.default("udh8"),
    message_id_format: fields.message_id_format.default("auto"),
    enabled: fields.enabled.default(true),
  })
  .openapi("UpstreamCreate");

export const UpstreamPatchSchema = z.strictObject(fields).partial().openapi("UpstreamPatch");

export const UpstreamSchema = z
  .object({
    id: z.string().openapi({ example: "ups_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    tls: z.boolean(),
    tls_ca: z.string().nullable(),
    tls_servername: z.string().nullable(),
    tls_insecure: z.boolean(),
    system_id: z.string(),
    password_set: z.boolean().openapi({ description: "The password itself is never returned" }),
    system_type: z.string(),
    bind_mode: z.enum(BIND_MODES),
    sessions: z.number().int(),
    window: z.number().int(),
    max_tps: z.number().int().nullable(),
    enquire_link_interval: z.number().int(),
    response_timeout: z.number().int(),
    source_ton: z.number().int().nullable(),
    source_npi: z.number().int().nullable(),
    dest_ton: z.number().int().nullable(),
    dest_npi: z.number().int().nullable(),
    dcs0_charset: z.enum(DCS0_CHARSETS),
    long_message_mode: z.enum(LONG_MESSAGE_MODES),
    message_id_format: z.enum(MESSAGE_ID_FORMATS),
    enabled: z.boolean(),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi("Upstream");

export const UpstreamPageSchema = pageSchema(UpstreamSchema, "UpstreamPage");

export function toUpstreamResponse(u: Upstream): z.infer<typeof UpstreamSchema> {
  return {
    id: u.id,
    name: u.name,
    host: u.host,
    port: u.port,
    tls: u.tls,
    tls_ca: u.tlsCa,
    tls_servername: u.tlsServername,
    tls_insecure: u.tlsInsecure,
    system_id: u.systemId,
    password_set: true,
    system_type: u.systemType,
    bind_mode: u.bindMode,
    sessions: u.sessions,
    window: u.window,
    max_tps: u.maxTps,
    enquire_link_interval: u.enquireLinkInterval,
    response_timeout: u.responseTimeout,
    source_ton: u.sourceTon,
    source_npi: u.sourceNpi,
    dest_ton: u.destTon,
    dest_npi: u.destNpi,
    dcs0_charset: u.dcs0Charset,
    long_message_mode: u.longMessageMode,
    message_id_format: u.messageIdFormat,
    enabled: u.enabled,
    created_at: iso(u.createdAt),
    updated_at: iso(u.updatedAt),
  };
}

type Body = Partial<z.infer<typeof UpstreamCreateSchema>>;

/** The API's snake_case fields as the service's; absent (undefined) fields are left alone by the update. */
export function toUpstreamPatch(body: Body): UpstreamPatch {
  return {
    name: body.name,
    host: body.host,
    port: body.port,
    tls: body.tls,
    tlsCa: body.tls_ca,
    tlsServername: body.tls_servername,
    tlsInsecure: body.tls_insecure,
    systemId: body.system_id,
    password: body.password,
    systemType: body.system_type,
    bindMode: body.bind_mode,
    sessions: body.sessions,
    window: body.window,
    maxTps: body.max_tps,
    enquireLinkInterval: body.enquire_link_interval,
    responseTimeout: body.response_timeout,
    sourceTon: body.source_ton,
    sourceNpi: body.source_npi,
    destTon: body.dest_ton,
    destNpi: body.dest_npi,
    dcs0Charset: body.dcs0_charset,
    longMessageMode: body.long_message_mode,
    messageIdFormat: body.message_id_format,
    enabled: body.enabled,
  };
}
