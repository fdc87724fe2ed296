/**
 * Typed rows from raw SQL. The pipeline's statements are hand-written (multi-row UPDATE … FROM unnest,
 * FOR UPDATE SKIP LOCKED) and come back as driver rows: snake_case names, timestamps as strings. This
 * maps them through drizzle's own column definitions, so a row read here equals one read with the query
 * builder (dates are Dates, JSON is parsed, camelCase keys).
 */
import { type Column, getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";

type ColumnList = Array<[key: string, column: Column]>;

const cache = new WeakMap<Table, ColumnList>();

function columnsOf(table: Table): ColumnList {
  let list = cache.get(table);
  if (list === undefined) {
    list = Object.entries(getTableColumns(table));
    cache.set(table, list);
  }
  return list;
}

/** One raw row (`RETURNING *` / `SELECT *` of `table`) as the row type drizzle would give. */
export function rowFromRaw<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of columnsOf(table)) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}
