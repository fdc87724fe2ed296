CREATE TABLE "inbound_repeat_keys" (
	"key" "bytea" PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "inbound_repeat_keys_received_at_idx" ON "inbound_repeat_keys" USING btree ("received_at");