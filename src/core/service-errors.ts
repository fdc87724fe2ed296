/**
 * Failures the core services report to their callers. They say what went wrong in domain terms; the
 * API maps them to its error codes (core never imports api).
 */

/** The thing does not exist (or is not visible to the caller's account). */
export class NotFoundError extends Error {
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
    this.name = "NotFoundError";
  }
}

/** The change clashes with what is stored: a duplicate, or a delete of something still referenced. */
export class ConflictError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "ConflictError";
  }
}

/** A field names something that does not exist (e.g. a route's upstream id): the request is invalid. */
export class InvalidReferenceError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(detail);
    this.name = "InvalidReferenceError";
  }
}

/** The SQLSTATE of a database error, looking through the wrappers drivers and drizzle add. */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Object && depth < 5; depth++) {
    const code: unknown = Reflect.get(e, "code");
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = Reflect.get(e, "cause");
  }
  return undefined;
}

/**
 * Whether the database refused the rows themselves: SQLSTATE class 22 (data exception) or 23
 * (integrity constraint violation). Written again unchanged, they fail again, whenever it is.
 */
export function refusesItsData(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && (state.startsWith("22") || state.startsWith("23"));
}

/**
 * Writes `items` as two halves, one after the other: how a batch the database refused for its data
 * ({@link refusesItsData}) is narrowed down, `write` halving again, to the one row it refuses.
 */
export async function writeInHalves<T>(
  items: readonly T[],
  write: (half: T[]) => Promise<void>,
): Promise<void> {
  const half = Math.ceil(items.length / 2);
  await write(items.slice(0, half));
  await write(items.slice(half));
}

// postgres-js connection failures, and the node socket errors under them.
const CONNECTION_ERROR_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
]);

/**
 * Whether an error means the database is unreachable or refusing work (as opposed to a bad query):
 * SQLSTATE class 08 (connection), 53 (resources), 57P0x (shutting down), or a socket failure.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Object && depth < 5; depth++) {
    const code: unknown = Reflect.get(e, "code");
    if (typeof code === "string") {
      if (CONNECTION_ERROR_CODES.has(code)) return true;
      if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    }
    e = Reflect.get(e, "cause");
  }
  return false;
}
