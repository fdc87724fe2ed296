import type { Sql } from "postgres";

/** Distinct statement texts prepared per pool; texts seen after this run unprepared. */
export const MAX_PREPARED_TEXTS = 500;

/**
 * Makes drizzle's queries on postgres-js prepared statements. drizzle passes `prepare: false` for
 * every query it was not given a name for, and postgres-js sends an unprepared statement with
 * parameters in two round trips (Parse + Describe, wait for the parameter types, then Bind +
 * Execute) and the server plans it every time. Our hot statements have fixed text (batches travel as
 * arrays or JSON documents), so preparing them once per connection halves the round trips.
 *
 * postgres-js keeps a connection's prepared statements for the connection's life, so the number of
 * distinct texts must stay bounded: SQL whose text grows with its data (`IN ($1, $2, …)` from
 * `inArray`) should be written `= ANY($1)`, and as a safety net only the first
 * {@link MAX_PREPARED_TEXTS} texts are prepared; later new ones run as before.
 */
export function preparingClient(client: Sql, prepared: Set<string> = new Set()): Sql {
  const shouldPrepare = (text: string): boolean => {
    if (prepared.has(text)) return true;
    if (prepared.size >= MAX_PREPARED_TEXTS) return false;
    prepared.add(text);
    return true;
  };
  // Transactions and savepoints hand their callback a new client: wrap it too (same text budget).
  const wrapCallback = (args: unknown[]): unknown[] => {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback !== "function") return args;
    const wrapped = [...args];
    wrapped[last] = (inner: Sql) => callback(preparingClient(inner, prepared));
    return wrapped;
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (text: string, parameters?: unknown[], options?: { prepare?: boolean }) =>
          target.unsafe(text, parameters as never, { ...options, prepare: shouldPrepare(text) });
      }
      if (property === "begin" || property === "savepoint") {
        const method = Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => method.apply(target, wrapCallback(args));
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
