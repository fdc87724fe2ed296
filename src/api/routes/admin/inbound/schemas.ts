import { z } from "@hono/zod-openapi";
import type { InboundRow } from "../../../../core/inbound/queries.js";
import { serializeInbound } from "../../../../core/inbound/serialize.js";
import { PageQuerySchema, pageSchema } from "../../../pagination.js";
import { InboundMessageSchema } from "../../v1/inbound/schemas.js";

/** Inbound SMS as admins see them: the customer shape plus the owning account (null: unassigned). */
export const AdminInboundMessageSchema = InboundMessageSchema.extend({
  account_id: z.string().nullable().openapi({
    description: "Account owning the destination number when the SMS arrived; null: no account did",
  }),
  upstream_id: z.string(),
}).openapi("AdminInboundMessage");

export const AdminInboundPageSchema = pageSchema(AdminInboundMessageSchema, "AdminInboundMessagePage");

export const AdminInboundQuerySchema = PageQuerySchema.extend({
  unassigned: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true")
    .openapi({
      param: { name: "unassigned", in: "query" },
      description: "`true`: only SMS to numbers no account owned",
      type: "string",
    }),
  account_id: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "account_id", in: "query" }, description: "Only this account's SMS" }),
});

export function toAdminInboundResponse(row: InboundRow): z.infer<typeof AdminInboundMessageSchema> {
  return { ...serializeInbound(row), account_id: row.accountId, upstream_id: row.upstreamId };
}
