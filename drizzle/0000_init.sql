CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"default_from" text,
	"max_tps" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"name" text,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_type_check" CHECK ("events"."type" IN ('message.sent', 'message.delivered', 'message.undelivered', 'message.failed', 'inbound.received'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"account_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("account_id","key")
);
--> statement-breakpoint
CREATE TABLE "inbound_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text,
	"upstream_id" text NOT NULL,
	"from_address" text NOT NULL,
	"to_number" text NOT NULL,
	"text" text NOT NULL,
	"encoding" text NOT NULL,
	"data_coding" integer NOT NULL,
	"segments" integer DEFAULT 1 NOT NULL,
	"incomplete" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_parts" (
	"id" text PRIMARY KEY NOT NULL,
	"upstream_id" text NOT NULL,
	"source" text NOT NULL,
	"destination" text NOT NULL,
	"ref" integer NOT NULL,
	"total" integer NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"data_coding" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"inbound_id" text,
	CONSTRAINT "inbound_parts_part_key" UNIQUE("upstream_id","source","destination","ref","total","seq")
);
--> statement-breakpoint
CREATE TABLE "message_parts" (
	"message_id" text NOT NULL,
	"index" integer NOT NULL,
	"text" text NOT NULL,
	"short_message" "bytea",
	"esm_class" integer,
	"data_coding" integer,
	"status" text DEFAULT 'pending' NOT NULL,
	"upstream_id" text,
	"smsc_message_id" text,
	"smsc_id_key" text,
	"command_status" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"submitted_at" timestamp with time zone,
	"done_at" timestamp with time zone,
	"dlr_stat" text,
	"dlr_err" text,
	CONSTRAINT "message_parts_pkey" PRIMARY KEY("message_id","index"),
	CONSTRAINT "message_parts_status_check" CHECK ("message_parts"."status" IN ('pending', 'sending', 'sent', 'delivered', 'undelivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"status" text NOT NULL,
	"to_number" text NOT NULL,
	"from_address" text NOT NULL,
	"text" text NOT NULL,
	"encoding" text NOT NULL,
	"data_coding" integer NOT NULL,
	"segments" integer NOT NULL,
	"concat_ref" integer,
	"client_reference" text,
	"validity_period" integer,
	"send_at" timestamp with time zone,
	"delivery_report" boolean DEFAULT true NOT NULL,
	"status_callback_url" text,
	"upstream_id" text,
	"error_code" text,
	"error_message" text,
	"error_smpp_command_status" integer,
	"error_dlr_stat" text,
	"error_dlr_err" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"submitted_at" timestamp with time zone,
	"done_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	CONSTRAINT "messages_status_check" CHECK ("messages"."status" IN ('scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled')),
	CONSTRAINT "messages_encoding_check" CHECK ("messages"."encoding" IN ('gsm7', 'latin1', 'ucs2', 'binary'))
);
--> statement-breakpoint
CREATE TABLE "numbers" (
	"id" text PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"account_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"upstream_id" text NOT NULL,
	"smsc_message_id" text NOT NULL,
	"smsc_id_key" text NOT NULL,
	"message_id" text,
	"part_index" integer,
	"stat" text,
	"err" text,
	"state" integer,
	"raw_hex" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"matched_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "routes" (
	"id" text PRIMARY KEY NOT NULL,
	"prefix" text NOT NULL,
	"account_id" text,
	"upstream_ids" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routes_account_prefix_key" UNIQUE NULLS NOT DISTINCT("account_id","prefix")
);
--> statement-breakpoint
CREATE TABLE "upstreams" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"tls" boolean DEFAULT false NOT NULL,
	"tls_ca" text,
	"tls_servername" text,
	"tls_insecure" boolean DEFAULT false NOT NULL,
	"system_id" text NOT NULL,
	"password_enc" text NOT NULL,
	"system_type" text DEFAULT '' NOT NULL,
	"bind_mode" text DEFAULT 'transceiver' NOT NULL,
	"sessions" integer DEFAULT 1 NOT NULL,
	"window" integer DEFAULT 10 NOT NULL,
	"max_tps" integer,
	"enquire_link_interval" integer DEFAULT 30 NOT NULL,
	"response_timeout" integer DEFAULT 10 NOT NULL,
	"source_ton" integer,
	"source_npi" integer,
	"dest_ton" integer,
	"dest_npi" integer,
	"dcs0_charset" text DEFAULT 'gsm7' NOT NULL,
	"long_message_mode" text DEFAULT 'udh8' NOT NULL,
	"message_id_format" text DEFAULT 'auto' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"pdu_log_enabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "upstreams_bind_mode_check" CHECK ("upstreams"."bind_mode" IN ('transceiver', 'transmitter', 'receiver')),
	CONSTRAINT "upstreams_dcs0_charset_check" CHECK ("upstreams"."dcs0_charset" IN ('gsm7', 'gsm7-packed', 'latin1', 'ascii')),
	CONSTRAINT "upstreams_long_message_mode_check" CHECK ("upstreams"."long_message_mode" IN ('udh8', 'udh16', 'sar', 'payload')),
	CONSTRAINT "upstreams_message_id_format_check" CHECK ("upstreams"."message_id_format" IN ('auto', 'hex', 'decimal'))
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_code" integer,
	"response_body" text,
	"duration_ms" integer NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"endpoint_id" text,
	"url" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("webhook_deliveries"."status" IN ('pending', 'succeeded', 'failed', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"url" text NOT NULL,
	"events" text[],
	"description" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"secret_enc" text NOT NULL,
	"previous_secret_enc" text,
	"previous_secret_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_parts" ADD CONSTRAINT "inbound_parts_inbound_id_inbound_messages_id_fk" FOREIGN KEY ("inbound_id") REFERENCES "public"."inbound_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_parts" ADD CONSTRAINT "message_parts_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "numbers" ADD CONSTRAINT "numbers_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "api_keys_account_idx" ON "api_keys" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "events_account_idx" ON "events" USING btree ("account_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "inbound_messages_account_id_idx" ON "inbound_messages" USING btree ("account_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inbound_messages_account_to_idx" ON "inbound_messages" USING btree ("account_id","to_number","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inbound_parts_pending_idx" ON "inbound_parts" USING btree ("received_at") WHERE "inbound_parts"."inbound_id" IS NULL;--> statement-breakpoint
CREATE INDEX "message_parts_smsc_id_idx" ON "message_parts" USING btree ("upstream_id","smsc_id_key") WHERE "message_parts"."smsc_id_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "messages_account_id_idx" ON "messages" USING btree ("account_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "messages_account_to_idx" ON "messages" USING btree ("account_id","to_number","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "messages_account_client_reference_idx" ON "messages" USING btree ("account_id","client_reference") WHERE "messages"."client_reference" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "messages_due_idx" ON "messages" USING btree ("next_attempt_at") WHERE "messages"."status" IN ('scheduled', 'queued');--> statement-breakpoint
CREATE INDEX "messages_lease_idx" ON "messages" USING btree ("lease_expires_at") WHERE "messages"."status" = 'sending';--> statement-breakpoint
CREATE UNIQUE INDEX "numbers_number_key" ON "numbers" USING btree ("number");--> statement-breakpoint
CREATE INDEX "numbers_account_idx" ON "numbers" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "receipts_unmatched_idx" ON "receipts" USING btree ("upstream_id","smsc_id_key") WHERE "receipts"."message_id" IS NULL;--> statement-breakpoint
CREATE INDEX "receipts_message_idx" ON "receipts" USING btree ("message_id","part_index") WHERE "receipts"."message_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "upstreams_name_key" ON "upstreams" USING btree ("name");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" IN ('pending', 'failed');--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_account_idx" ON "webhook_endpoints" USING btree ("account_id","id" DESC NULLS LAST);