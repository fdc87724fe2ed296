/** Keyset pages over time-ordered ids, newest first: `WHERE id < before ORDER BY id DESC LIMIT n`. */
export interface PageRequest {
  /** Rows per page, already validated by the caller (1–100). */
  limit: number;
  /** Id of the last row of the previous page; absent for the first page. */
  before?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Id to pass as `before` for the next page; null when this page is the last. */
  next: string | null;
}

/** Cut a `limit + 1` row fetch into a page: the extra row only says that another page exists. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  return { items, next: items[items.length - 1]?.id ?? null };
}
