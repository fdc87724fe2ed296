import { sqlState } from "../service-errors.js";

/** Deadlock and serialization failures: the transaction was rolled back and can simply run again. */
const RETRYABLE_STATES: ReadonlySet<string> = new Set(["40P01", "40001"]);

/**
 * Runs a transaction, again when PostgreSQL aborted it for a deadlock or serialization failure (the
 * batch writers lock rows of several tables and can meet each other in rare orders). At most `retries`
 * extra runs; other errors pass through at once.
 */
export async function withConflictRetry<T>(work: () => Promise<T>, retries = 3): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= retries || !RETRYABLE_STATES.has(sqlState(error) ?? "")) throw error;
    }
  }
}
