import { z } from "@hono/zod-openapi";
import type { Account, AccountInput } from "../../../../core/accounts.js";
import { normalizeSender } from "../../../../core/messages/validate/addresses.js";
import { iso, timestamp } from "../../../fields.js";
import { pageSchema } from "../../../pagination.js";

const fields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "Acme Ltd" }),
  // The check a send makes of its `from`: a default it would refuse would fail every send without one.
  default_from: z
    .string()
    .superRefine((value, ctx) => {
      const sender = normalizeSender(value);
      if (!sender.ok) ctx.addIssue({ code: "custom", message: sender.message });
    })
    .nullable()
    .openapi({ description: "Sender used when a message has no `from`; null: none", example: "ACME" }),
  max_tps: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .nullable()
    .openapi({ description: "Accepted messages per second; null: unlimited" }),
};

export const AccountCreateSchema = z
  .strictObject({
    name: fields.name,
    default_from: fields.default_from.optional(),
    max_tps: fields.max_tps.optional(),
  })
  .openapi("AccountCreate");

export const AccountPatchSchema = z.strictObject(fields).partial().openapi("AccountPatch");

export const AccountSchema = z
  .object({
    id: z.string().openapi({ example: "acc_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    name: z.string(),
    default_from: z.string().nullable(),
    max_tps: z.number().int().nullable(),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi("Account");

export const AccountPageSchema = pageSchema(AccountSchema, "AccountPage");

export function toAccountResponse(a: Account): z.infer<typeof AccountSchema> {
  return {
    id: a.id,
    name: a.name,
    default_from: a.defaultFrom,
    max_tps: a.maxTps,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

export function toAccountPatch(body: z.infer<typeof AccountPatchSchema>): Partial<AccountInput> {
  return { name: body.name, defaultFrom: body.default_from, maxTps: body.max_tps };
}
