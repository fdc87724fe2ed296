/**
 * The database schema: one table per thing DESIGN.md names. Conventions:
 * - ids are text `<prefix>_<ulid>` made by `newId`, so `ORDER BY id` is creation order and the
 *   newest-first cursor pagination is `WHERE account_id = $1 AND id < $cursor ORDER BY id DESC`;
 * - phone numbers are stored normalised, E.164 digits with a leading `+`;
 * - timestamps are `timestamp with time zone`;
 * - references to upstreams from history tables (messages, parts, receipts, inbound) are plain text,
 *   not foreign keys: deleting an upstream must not rewrite or block millions of history rows;
 * - secrets are stored only encrypted (`*_enc`, AES-256-GCM via core/crypto) or hashed (`key_hash`).
 * Changes go through a new migration: edit this file, then `npm run db:generate`.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { type IdPrefix, newId } from "../core/ids.js";

/** Binary column; both drivers hand back a Uint8Array (postgres-js a Buffer, which is one). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  toDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
  fromDriver: (value) => value,
});

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true });
const idColumn = (prefix: IdPrefix) =>
  text("id")
    .primaryKey()
    .$defaultFn(() => newId(prefix));
const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

// ---------------------------------------------------------------------------------------------------
// Value sets kept in text columns (a CHECK guards them; a new value is a new migration).

export const MESSAGE_STATUSES = [
  "scheduled",
  "queued",
  "sending",
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "canceled",
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
/** Statuses the dispatcher may still act on; the claim indexes cover exactly these. */
export const PENDING_MESSAGE_STATUSES = ["scheduled", "queued", "sending"] as const;

export const PART_STATUSES = ["pending", "sending", "sent", "delivered", "undelivered", "failed"] as const;
export type PartStatus = (typeof PART_STATUSES)[number];

export const ENCODINGS = ["gsm7", "latin1", "ucs2", "binary"] as const;
export type Encoding = (typeof ENCODINGS)[number];

export const BIND_MODES = ["transceiver", "transmitter", "receiver"] as const;
export type BindMode = (typeof BIND_MODES)[number];
export const DCS0_CHARSETS = ["gsm7", "gsm7-packed", "latin1", "ascii"] as const;
export type Dcs0Charset = (typeof DCS0_CHARSETS)[number];
export const LONG_MESSAGE_MODES = ["udh8", "udh16", "sar", "payload"] as const;
export type LongMessageMode = (typeof LONG_MESSAGE_MODES)[number];
export const MESSAGE_ID_FORMATS = ["auto", "hex", "decimal"] as const;
export type MessageIdFormat = (typeof MESSAGE_ID_FORMATS)[number];

export const EVENT_TYPES = [
  "message.sent",
  "message.delivered",
  "message.undelivered",
  "message.failed",
  "inbound.received",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed", "dead"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

// ---------------------------------------------------------------------------------------------------
// Tenants and credentials

export const accounts = pgTable("accounts", {
  id: idColumn("acc"),
  name: text("name").notNull(),
  defaultFrom: text("default_from"),
  /** Accepted messages per second for this account; null = unlimited. */
  maxTps: integer("max_tps"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: idColumn("key"),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name"),
    /** The key's first characters, shown in listings and used to find the row; unique. */
    prefix: text("prefix").notNull(),
    /** sha256 of the whole key (hex); the key itself is never stored. */
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [
    uniqueIndex("api_keys_prefix_key").on(t.prefix),
    index("api_keys_account_idx").on(t.accountId, t.id),
  ],
);

// ---------------------------------------------------------------------------------------------------
// Upstream SMSCs, routing, numbers

export const upstreams = pgTable(
  "upstreams",
  {
    id: idColumn("ups"),
    name: text("name").notNull(),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    tls: boolean("tls").notNull().default(false),
    /** PEM bundle to trust instead of the system CAs; null = system CAs. */
    tlsCa: text("tls_ca"),
    /** SNI / certificate name when it differs from `host`. */
    tlsServername: text("tls_servername"),
    /** Skip certificate verification (test SMSCs only). */
    tlsInsecure: boolean("tls_insecure").notNull().default(false),
    systemId: text("system_id").notNull(),
    /** The bind password, encrypted with `encryptSecret` under SECRET_KEY. */
    passwordEnc: text("password_enc").notNull(),
    systemType: text("system_type").notNull().default(""),
    bindMode: text("bind_mode").$type<BindMode>().notNull().default("transceiver"),
    sessions: integer("sessions").notNull().default(1),
    window: integer("window").notNull().default(10),
    /** Submits per second across all sessions of this upstream; null = unlimited. */
    maxTps: integer("max_tps"),
    /** Seconds of idleness before an enquire_link. */
    enquireLinkInterval: integer("enquire_link_interval").notNull().default(30),
    /** Seconds to wait for a response PDU. */
    responseTimeout: integer("response_timeout").notNull().default(10),
    sourceTon: integer("source_ton"),
    sourceNpi: integer("source_npi"),
    destTon: integer("dest_ton"),
    destNpi: integer("dest_npi"),
    dcs0Charset: text("dcs0_charset").$type<Dcs0Charset>().notNull().default("gsm7"),
    longMessageMode: text("long_message_mode").$type<LongMessageMode>().notNull().default("udh8"),
    messageIdFormat: text("message_id_format").$type<MessageIdFormat>().notNull().default("auto"),
    enabled: boolean("enabled").notNull().default(true),
    pduLogEnabled: boolean("pdu_log_enabled").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /**
     * Set by DELETE: the row stays so that past messages and inbound SMS keep showing the upstream's
     * name, but it is gone from the API, the routes and the sessions, and its name is free again.
     */
    deletedAt: ts("deleted_at"),
  },
  (t) => [
    uniqueIndex("upstreams_name_key").on(t.name).where(sql`${t.deletedAt} IS NULL`),
    check("upstreams_bind_mode_check", sql`${t.bindMode} IN (${inList(BIND_MODES)})`),
    check("upstreams_dcs0_charset_check", sql`${t.dcs0Charset} IN (${inList(DCS0_CHARSETS)})`),
    check("upstreams_long_message_mode_check", sql`${t.longMessageMode} IN (${inList(LONG_MESSAGE_MODES)})`),
    check("upstreams_message_id_format_check", sql`${t.messageIdFormat} IN (${inList(MESSAGE_ID_FORMATS)})`),
  ],
);

export const routes = pgTable(
  "routes",
  {
    id: idColumn("rte"),
    /** Destination digits the route applies to (no `+`); "" matches every number. */
    prefix: text("prefix").notNull(),
    /** Null = a shared route for every account. */
    accountId: text("account_id").references(() => accounts.id),
    /** Upstream ids in failover order (not a foreign key: the API checks they exist). */
    upstreamIds: text("upstream_ids").array().notNull(),
    createdAt: createdAt(),
  },
  // One route per (account, prefix); shared routes (account null) are unique among themselves too.
  (t) => [unique("routes_account_prefix_key").on(t.accountId, t.prefix).nullsNotDistinct()],
);

export const numbers = pgTable(
  "numbers",
  {
    id: idColumn("num"),
    number: text("number").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("numbers_number_key").on(t.number), index("numbers_account_idx").on(t.accountId)],
);

// ---------------------------------------------------------------------------------------------------
// Outbound messages

export const messages = pgTable(
  "messages",
  {
    id: idColumn("msg"),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    status: text("status").$type<MessageStatus>().notNull(),
    to: text("to_number").notNull(),
    from: text("from_address").notNull(),
    text: text("text").notNull(),
    encoding: text("encoding").$type<Encoding>().notNull(),
    /** SMPP data_coding chosen at acceptance (may be remapped per upstream at submit). */
    dataCoding: integer("data_coding").notNull(),
    segments: integer("segments").notNull(),
    /** Concatenation reference shared by all parts, kept so a resubmit uses the same one. */
    concatRef: integer("concat_ref"),
    clientReference: text("client_reference"),
    /** Seconds, as requested. */
    validityPeriod: integer("validity_period"),
    sendAt: ts("send_at"),
    deliveryReport: boolean("delivery_report").notNull().default(true),
    statusCallbackUrl: text("status_callback_url"),
    /** Upstream the message was routed to; null before routing. */
    upstreamId: text("upstream_id"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    // command_status is 32 bits unsigned: int4 refused the top half (a broken or vendor status).
    errorSmppCommandStatus: bigint("error_smpp_command_status", { mode: "number" }),
    errorDlrStat: text("error_dlr_stat"),
    errorDlrErr: text("error_dlr_err"),
    /** Dispatch attempts so far. */
    attempts: integer("attempts").notNull().default(0),
    /**
     * When the poller should look at the message: send_at, the end of a retry back-off, or for a
     * message an instance holds the end of its lease. Null once the dispatcher is done with it.
     */
    nextAttemptAt: ts("next_attempt_at"),
    /** Instance that holds the claim; with `leaseExpiresAt` it keeps other instances off live work. */
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: ts("lease_expires_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    submittedAt: ts("submitted_at"),
    doneAt: ts("done_at"),
    /** End of the validity period: no retry after it. */
    expiresAt: ts("expires_at"),
  },
  (t) => [
    // Newest-first pages per account, and the same with the filters the API offers.
    index("messages_account_id_idx").on(t.accountId, t.id.desc()),
    index("messages_account_to_idx").on(t.accountId, t.to, t.id.desc()),
    index("messages_account_client_reference_idx")
      .on(t.accountId, t.clientReference)
      .where(sql`${t.clientReference} IS NOT NULL`),
    // The poller's one index: every message the dispatcher is not done with (scheduled, queued,
    // sending) has next_attempt_at set, to when the poller should look at it; every other has it
    // null, so the millions of finished rows are not in it. Partial on the column itself, not on
    // `status`: an update that changes only unindexed columns (queued → sending, sent → delivered) is
    // then a HOT update, which writes no index entry at all (the table's fillfactor leaves it room).
    index("messages_due_idx").on(t.nextAttemptAt).where(sql`${t.nextAttemptAt} IS NOT NULL`),
    check("messages_status_check", sql`${t.status} IN (${inList(MESSAGE_STATUSES)})`),
    check("messages_encoding_check", sql`${t.encoding} IN (${inList(ENCODINGS)})`),
  ],
);

export const messageParts = pgTable(
  "message_parts",
  {
    messageId: text("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    /** 1-based segment number. */
    index: integer("index").notNull(),
    /** The characters this segment carries (re-encoded per upstream at submit). */
    text: text("text").notNull(),
    /** Encoded short_message as last submitted (UDH included), for diagnosis and exact resubmits. */
    shortMessage: bytea("short_message"),
    esmClass: integer("esm_class"),
    dataCoding: integer("data_coding"),
    status: text("status").$type<PartStatus>().notNull().default("pending"),
    upstreamId: text("upstream_id"),
    /** message_id from submit_sm_resp, as received. */
    smscMessageId: text("smsc_message_id"),
    /** `smscIdKey(smscMessageId)`: the form receipts are matched on (see db/smsc-id.ts). */
    smscIdKey: text("smsc_id_key"),
    commandStatus: bigint("command_status", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    /** When the result of the attempt that got `smscMessageId` was stored (database clock). */
    submittedAt: ts("submitted_at"),
    /**
     * When that attempt began sending this part, on the sending instance's clock: no receipt for it can
     * have come earlier (less clock skew), whereas `submitted_at` may be much later than the submit when
     * the database was away. Waiting receipts are matched against it (receipts/unmatched.ts).
     */
    sentAt: ts("sent_at"),
    doneAt: ts("done_at"),
    dlrStat: text("dlr_stat"),
    dlrErr: text("dlr_err"),
  },
  (t) => [
    primaryKey({ name: "message_parts_pkey", columns: [t.messageId, t.index] }),
    index("message_parts_smsc_id_idx").on(t.upstreamId, t.smscIdKey).where(sql`${t.smscIdKey} IS NOT NULL`),
    check("message_parts_status_check", sql`${t.status} IN (${inList(PART_STATUSES)})`),
  ],
);

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** sha256 of the canonical request body: the same key with another body is a 409. */
    requestHash: text("request_hash").notNull(),
    /** Null while the first request is still being processed. */
    responseStatus: integer("response_status"),
    responseBody: jsonb("response_body"),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: "idempotency_keys_pkey", columns: [t.accountId, t.key] }),
    // Expiry sweep after 24 h.
    index("idempotency_keys_created_at_idx").on(t.createdAt),
  ],
);

/**
 * Delivery receipts as received. Unmatched ones (message_id null) wait here until the part with their
 * SMSC id is stored; matching uses `smsc_id_key` on both sides (see db/smsc-id.ts).
 */
export const receipts = pgTable(
  "receipts",
  {
    id: idColumn("dlr"),
    upstreamId: text("upstream_id").notNull(),
    /** receipted_message_id TLV or the `id:` of the receipt text, as received. */
    smscMessageId: text("smsc_message_id").notNull(),
    smscIdKey: text("smsc_id_key").notNull(),
    messageId: text("message_id"),
    partIndex: integer("part_index"),
    /** DELIVRD, UNDELIV, EXPIRED, … */
    stat: text("stat"),
    err: text("err"),
    /** message_state TLV, when present. */
    state: integer("state"),
    /** The deliver_sm body in hex, for diagnosis. */
    rawHex: text("raw_hex"),
    receivedAt: ts("received_at").notNull().defaultNow(),
    matchedAt: ts("matched_at"),
  },
  (t) => [
    index("receipts_unmatched_idx").on(t.upstreamId, t.smscIdKey).where(sql`${t.messageId} IS NULL`),
    index("receipts_message_idx").on(t.messageId, t.partIndex).where(sql`${t.messageId} IS NOT NULL`),
    // The sweeper's retries (recent ones) and its retention deletes (old ones) read unmatched by age.
    index("receipts_unmatched_received_idx").on(t.receivedAt).where(sql`${t.messageId} IS NULL`),
  ],
);

// ---------------------------------------------------------------------------------------------------
// Inbound SMS

export const inboundMessages = pgTable(
  "inbound_messages",
  {
    id: idColumn("inb"),
    /** Owner of the destination number; null = no known number (kept, visible to admins). */
    accountId: text("account_id").references(() => accounts.id),
    upstreamId: text("upstream_id").notNull(),
    from: text("from_address").notNull(),
    to: text("to_number").notNull(),
    text: text("text").notNull(),
    encoding: text("encoding").$type<Encoding>().notNull(),
    dataCoding: integer("data_coding").notNull(),
    segments: integer("segments").notNull().default(1),
    /** True when a concatenated SMS was surfaced before all its parts arrived. */
    incomplete: boolean("incomplete").notNull().default(false),
    receivedAt: ts("received_at").notNull().defaultNow(),
  },
  (t) => [
    index("inbound_messages_account_id_idx").on(t.accountId, t.id.desc()),
    index("inbound_messages_account_to_idx").on(t.accountId, t.to, t.id.desc()),
  ],
);

/**
 * Whole inbound SMS recently stored, by identity, so one the SMSC delivers again (our deliver_sm_resp
 * lost) is recognised: the primary key makes a concurrent copy wait for the first and then collide.
 * Kept past the repeat window only until the sweeper deletes them.
 */
export const inboundRepeatKeys = pgTable(
  "inbound_repeat_keys",
  {
    /** SHA-256 of upstream, source, destination, data_coding and user data octets (core/inbound/repeat-key.ts). */
    key: bytea("key").primaryKey(),
    /** When the message with this identity was last stored. */
    receivedAt: ts("received_at").notNull().defaultNow(),
  },
  (t) => [index("inbound_repeat_keys_received_at_idx").on(t.receivedAt)],
);

/** Parts of concatenated inbound SMS, stored so reassembly survives a restart; duplicates collide. */
export const inboundParts = pgTable(
  "inbound_parts",
  {
    id: idColumn("inp"),
    upstreamId: text("upstream_id").notNull(),
    source: text("source").notNull(),
    destination: text("destination").notNull(),
    /** Concatenation reference (8- or 16-bit UDH, or SAR). */
    ref: integer("ref").notNull(),
    total: integer("total").notNull(),
    /** 1-based. */
    seq: integer("seq").notNull(),
    /** The part's user data without UDH. */
    data: bytea("data").notNull(),
    dataCoding: integer("data_coding").notNull(),
    receivedAt: ts("received_at").notNull().defaultNow(),
    /**
     * Set when the part went into an inbound message. Not a foreign key: with no index on it, each inbound
     * message the retention sweep deletes would cost a scan of this table for the key's check.
     */
    inboundId: text("inbound_id"),
  },
  (t) => [
    unique("inbound_parts_part_key").on(t.upstreamId, t.source, t.destination, t.ref, t.total, t.seq),
    // Sweep for incomplete sets past their wait.
    index("inbound_parts_pending_idx").on(t.receivedAt).where(sql`${t.inboundId} IS NULL`),
  ],
);

// ---------------------------------------------------------------------------------------------------
// Webhooks: endpoints, the outbox of events, one delivery per target, one row per attempt

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: idColumn("whe"),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    url: text("url").notNull(),
    /** Subscribed event types; null = all. */
    events: text("events").array().$type<EventType[]>(),
    description: text("description"),
    enabled: boolean("enabled").notNull().default(true),
    /** Why the service disabled it (e.g. the receiver answered 410). */
    disabledReason: text("disabled_reason"),
    secretEnc: text("secret_enc").notNull(),
    /** The secret before the last rotation; it signs beside the new one until it expires. */
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretExpiresAt: ts("previous_secret_expires_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("webhook_endpoints_account_idx").on(t.accountId, t.id.desc())],
);

export const events = pgTable(
  "events",
  {
    id: idColumn("evt"),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    type: text("type").$type<EventType>().notNull(),
    /** The body's `data`: the Message or InboundMessage as the API renders it at event time. */
    payload: jsonb("payload").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("events_account_idx").on(t.accountId, t.id.desc()),
    check("events_type_check", sql`${t.type} IN (${inList(EVENT_TYPES)})`),
  ],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: idColumn("whd"),
    /**
     * Not a foreign key: the retention sweep deletes an event only after its deliveries (core/retention),
     * and a cascade or check over this unindexed column would scan the table once per event deleted.
     * Without it, an insert also skips the look-up and the key-share lock on the event's row.
     */
    eventId: text("event_id").notNull(),
    /** Null for a message's status_callback_url target. */
    endpointId: text("endpoint_id").references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** Target URL at creation (the endpoint's URL, or the status_callback_url). */
    url: text("url").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: ts("lease_expires_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // `failed` = the last attempt failed and another is scheduled; `dead` = no more attempts.
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} IN ('pending', 'failed')`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id.desc()),
    // No index on event_id: nothing looks deliveries up by event, and the retention sweep finds the
    // deliveries of old events by primary-key range (they are made with their event, so their ids sort
    // right after its id). Each index is a write per insert and per status change of the busiest table.
    check("webhook_deliveries_status_check", sql`${t.status} IN (${inList(DELIVERY_STATUSES)})`),
  ],
);

export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: idColumn("wha"),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attemptedAt: ts("attempted_at").notNull().defaultNow(),
    /** Null when no HTTP response came (timeout, refused, DNS…). */
    statusCode: integer("status_code"),
    /** First bytes of the response body. */
    responseBody: text("response_body"),
    /** Milliseconds from request start to response end or failure. */
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.id.desc())],
);
