import { z } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import { ApiError } from "./errors.js";

/** Page size when `limit` is absent. */
export const DEFAULT_LIMIT = 50;
/** Largest `limit` accepted; more is a 422, never silently clamped. */
export const MAX_LIMIT = 100;

const ID_PATTERN = /^[a-z]{3}_[0-9a-z]{26}$/;

export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .openapi({
      param: { name: "limit", in: "query" },
      description: "Page size, 1–100",
      example: DEFAULT_LIMIT,
    }),
  cursor: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`next_cursor` of the previous page" }),
});

/** `{ data, next_cursor }` around an item schema. */
export function pageSchema<T extends ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as `cursor` for the next page; null at the end" }),
    })
    .openapi(name);
}

/** Cursors are opaque to clients: the base64url of the last id of the page (lists run newest first). */
export function encodeCursor(lastId: string | null): string | null {
  return lastId === null ? null : Buffer.from(lastId, "utf8").toString("base64url");
}

/** The id a cursor stands for; a cursor that is not one of ours is a 422 on `cursor`. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!ID_PATTERN.test(id)) {
    throw new ApiError("VALIDATION_FAILED", "The query string is invalid.", {
      errors: [{ path: "cursor", message: "Not a cursor this API returned" }],
    });
  }
  return id;
}
