-- command_status is a 32-bit unsigned value: a status at or above 0x80000000 (vendor or broken SMSC)
-- made the result batch fail with "integer out of range" for good, and held the upstream's permits.
-- int4 -> int8 rewrites both tables once.
ALTER TABLE "message_parts" ALTER COLUMN "command_status" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "error_smpp_command_status" SET DATA TYPE bigint;