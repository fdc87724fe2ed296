-- DELETE /admin/upstreams/{id} marks the row instead of removing it: messages and inbound SMS refer to
-- upstreams by plain text id and showed `upstream: null` once the row was gone. A deleted upstream's name
-- may be used again, so the name is unique among live rows only.
DROP INDEX "upstreams_name_key";--> statement-breakpoint
ALTER TABLE "upstreams" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "upstreams_name_key" ON "upstreams" USING btree ("name") WHERE "upstreams"."deleted_at" IS NULL;