import { z } from "@hono/zod-openapi";
import type { ApiKey } from "../../../../core/api-keys.js";
import { iso, timestamp } from "../../../fields.js";
import { pageSchema } from "../../../pagination.js";

export const AccountParamsSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "Account id" }),
});

export const KeyParamsSchema = AccountParamsSchema.extend({
  key_id: z.string().openapi({ param: { name: "key_id", in: "path" }, description: "API key id" }),
});

export const ApiKeyCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional().openapi({ description: "A label for humans" }),
  })
  .openapi("ApiKeyCreate");

export const CreatedApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    key: z.string().openapi({ description: "The key itself: shown this once, store it now" }),
    prefix: z.string().openapi({ description: "Its first characters, as listings show it" }),
    created_at: timestamp(),
    last_used_at: timestamp().nullable().openapi({ description: "null: a new key has not been used" }),
  })
  .openapi("CreatedApiKey");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    prefix: z.string().openapi({ example: "sk_live_4f9XkQ2mZ8aB" }),
    created_at: timestamp(),
    last_used_at: timestamp().nullable().openapi({
      description:
        "When a request last authenticated with the key; null if none has. Written about once a minute, so it may lag the latest use by a minute or two.",
    }),
    revoked_at: timestamp().nullable().openapi({ description: "null while the key works" }),
  })
  .openapi("ApiKey");

export const ApiKeyPageSchema = pageSchema(ApiKeySchema, "ApiKeyPage");

export function toApiKeyResponse(k: ApiKey): z.infer<typeof ApiKeySchema> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: iso(k.createdAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
  };
}
