/**
 * Keeps this instance's SMPP sessions in step with the upstreams table. The admin API applies a change
 * to the instance that served it at once; every other instance used to keep binding with the settings
 * it started with (an upstream disabled, deleted or given a new password stayed bound there until a
 * restart). Each instance now reads the table's `updated_at` column every `intervalMs` and applies the
 * rows that changed, removes the ones deleted, and starts the ones created elsewhere. Applying a row the
 * pool already runs is cheap: the pool rebinds only when connection settings differ.
 */
import { inArray, isNull, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "../db/client.js";
import { upstreams } from "../db/schema.js";
import type { UpstreamRuntime } from "./upstream-runtime.js";
import { toConfig } from "./upstreams.js";

export interface UpstreamSyncOptions {
  /** How often the table is read, in ms. Default 10000; 0: only the first load. */
  intervalMs?: number;
  logger?: Logger | undefined;
}

export class UpstreamSync {
  /** `updated_at` of each row as last applied, as PostgreSQL writes it (microseconds, unlike a Date). */
  private readonly applied = new Map<string, string>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly secretKey: Uint8Array,
    private readonly runtime: Pick<UpstreamRuntime, "apply" | "remove">,
    private readonly options: UpstreamSyncOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10_000;
  }

  /**
   * Applies every upstream (the start-up load) and starts the periodic re-read; resolves with how many
   * upstreams there are. Rejects when the table cannot be read or a password cannot be opened: a
   * service that cannot bind what it was configured with should not start.
   */
  async start(): Promise<number> {
    const count = await this.sync(true);
    if (this.intervalMs > 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return count;
  }

  /** Stops the re-reads; waits for one under way. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One re-read now (the timer's; exposed for tests and for a nudge). Never rejects. */
  async syncNow(): Promise<void> {
    this.tick();
    await this.running;
  }

  private tick(): void {
    this.running ??= this.sync(false)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.options.logger?.warn(
          { err: error },
          "re-reading the upstreams failed; next try at the next interval",
        );
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  private async sync(strict: boolean): Promise<number> {
    const rows = await this.db
      .select({ id: upstreams.id, version: sql<string>`${upstreams.updatedAt}::text` })
      .from(upstreams)
      .where(isNull(upstreams.deletedAt));
    const versions = new Map(rows.map((r) => [r.id, r.version]));
    for (const id of [...this.applied.keys()]) {
      if (versions.has(id)) continue;
      this.applied.delete(id);
      await this.runtime.remove(id);
      this.options.logger?.info(
        { upstream_id: id },
        "upstream deleted: its sessions on this instance are closed",
      );
    }
    const changed = rows.filter((r) => this.applied.get(r.id) !== r.version).map((r) => r.id);
    if (changed.length === 0) return rows.length;
    const full = await this.db
      .select()
      .from(upstreams)
      .where(inArray(upstreams.id, changed))
      .orderBy(upstreams.id);
    for (const row of full) {
      let config: ReturnType<typeof toConfig>;
      try {
        config = toConfig(row, this.secretKey);
      } catch (error) {
        if (strict) throw error;
        // Not retried until the row changes again (an admin sends the password anew): once is enough.
        this.applied.set(row.id, versions.get(row.id) ?? "");
        this.options.logger?.error(
          { err: error, upstream_id: row.id },
          "a changed upstream cannot be applied on this instance",
        );
        continue;
      }
      await this.runtime.apply(config);
      this.applied.set(row.id, versions.get(row.id) ?? "");
    }
    return rows.length;
  }
}
