ALTER TABLE "inbound_parts" DROP CONSTRAINT "inbound_parts_inbound_id_inbound_messages_id_fk";
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_event_id_events_id_fk";
