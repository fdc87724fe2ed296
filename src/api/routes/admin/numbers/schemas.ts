import { z } from "@hono/zod-openapi";
import type { InboundNumber } from "../../../../core/numbers.js";
import { iso, receivingNumberField, timestamp } from "../../../fields.js";
import { pageSchema } from "../../../pagination.js";

export const NumberCreateSchema = z
  .strictObject({
    number: receivingNumberField().openapi({
      description: "International number (`+` optional), or a short code of 3–8 digits",
    }),
    account_id: z
      .string()
      .min(1)
      .openapi({ description: "The account inbound SMS to this number belong to" }),
  })
  .openapi("NumberCreate");

export const NumberSchema = z
  .object({
    id: z.string().openapi({ example: "num_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    number: z.string().openapi({ example: "+447700900123" }),
    account_id: z.string(),
    created_at: timestamp(),
  })
  .openapi("Number");

export const NumberPageSchema = pageSchema(NumberSchema, "NumberPage");

export function toNumberResponse(n: InboundNumber): z.infer<typeof NumberSchema> {
  return { id: n.id, number: n.number, account_id: n.accountId, created_at: iso(n.createdAt) };
}
