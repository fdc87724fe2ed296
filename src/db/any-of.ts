import { type Column, type SQL, sql } from "drizzle-orm";

/**
 * `column = ANY($1::text[])`: drizzle's `inArray` writes one placeholder per value, so its SQL text
 * changes with the list's length and every length becomes another prepared statement (see
 * prepared-client.ts). One array parameter keeps a single statement for any length.
 */
export function anyOfText(column: Column, values: readonly string[]): SQL {
  return sql`${column} = ANY(${sql.param([...values])}::text[])`;
}
