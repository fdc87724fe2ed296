/**
 * Keeps `api_keys.last_used_at` current without a write per request. Authentication hands each use to
 * {@link ApiKeyUseRecorder.record}, which only touches memory; a timer writes what the throttle kept in
 * one statement per interval, and {@link ApiKeyUseRecorder.close} writes the rest. A write that fails
 * is logged and its uses wait for the next flush: a request never waits for, or fails with, this write.
 */
import type { Logger } from "pino";
import type { Executor } from "../../db/client.js";
import { writeLastUses } from "./statement.js";
import { KeyUseThrottle } from "./throttle.js";

export interface ApiKeyUseRecorderOptions {
  /** Pause between flushes, and the least time between two writes of one key; ms. Default 60_000. */
  intervalMs?: number | undefined;
  logger?: Logger | undefined;
}

/** What the recorder did since it was made (counters only grow). */
export interface ApiKeyUseStats {
  /** Uses handed to {@link ApiKeyUseRecorder.record}. */
  uses: number;
  /** Uses dropped because their key was written within the interval. */
  throttled: number;
  /** Keys given a new `last_used_at` by successful writes (a key counts once per write). */
  keysWritten: number;
  /** Writes that failed (their uses went back for the next flush). */
  failures: number;
}

/** Where authentication reports a key's use; the API's default records nothing. */
export interface ApiKeyUseSink {
  record(keyId: string): void;
}

export class ApiKeyUseRecorder implements ApiKeyUseSink {
  private readonly intervalMs: number;
  private readonly throttle: KeyUseThrottle;
  private readonly counters: ApiKeyUseStats = { uses: 0, throttled: 0, keysWritten: 0, failures: 0 };
  private timer: NodeJS.Timeout | undefined;
  /** The flush running or last run; flushes go one after another. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Executor,
    private readonly options: ApiKeyUseRecorderOptions = {},
  ) {
    this.intervalMs = Math.max(1, options.intervalMs ?? 60_000);
    this.throttle = new KeyUseThrottle(this.intervalMs);
  }

  get stats(): Readonly<ApiKeyUseStats> {
    return this.counters;
  }

  record(keyId: string): void {
    this.counters.uses++;
    if (!this.throttle.note(keyId, Date.now())) this.counters.throttled++;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes every use waiting; resolves when written or failed (never rejects). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** Stops the timer and writes what is waiting. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async writePending(): Promise<void> {
    const uses = this.throttle.take(Date.now());
    if (uses.length === 0) return;
    try {
      await writeLastUses(this.db, uses);
      this.counters.keysWritten += uses.length;
    } catch (error) {
      this.counters.failures++;
      this.throttle.giveBack(uses);
      this.options.logger?.warn(
        { err: error, keys: uses.length },
        "writing API key last_used_at failed; retrying at the next flush",
      );
    }
  }
}
