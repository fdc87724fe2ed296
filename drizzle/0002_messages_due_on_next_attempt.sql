DROP INDEX "messages_lease_idx";--> statement-breakpoint
DROP INDEX "messages_due_idx";--> statement-breakpoint
CREATE INDEX "messages_due_idx" ON "messages" USING btree ("next_attempt_at") WHERE "messages"."next_attempt_at" IS NOT NULL;--> statement-breakpoint
-- Written by hand (drizzle-kit does not model these). Messages already `sending` get the poller's
-- time the new index needs: their lease's end, as a claim now leaves it.
UPDATE "messages" SET "next_attempt_at" = coalesce("lease_expires_at", now()) WHERE "status" = 'sending' AND "next_attempt_at" IS NULL;--> statement-breakpoint
-- Room in each page for the new version of a row, so status updates that change no indexed column
-- stay HOT (no index entry written). Applies to pages written from now on.
ALTER TABLE "messages" SET (fillfactor = 75);--> statement-breakpoint
ALTER TABLE "message_parts" SET (fillfactor = 80);
