/**
 * The SMPP pool runtime as operations see it: a log line per session state change and a log line and a
 * count per malformed TLV an SMSC sends (once per tag per connection), the upstreams it runs (for the
 * scrape-time gauges), and a view for the dispatcher that times every submit_sm and counts the throttled
 * ones. All of it through PoolRuntime's public surface; nothing on the hot path but one clock read per
 * submit.
 */
import type { Logger } from "pino";
import type { SubmitTarget } from "../core/dispatch/attempt.js";
import type { DispatchRuntime } from "../core/dispatch/dispatcher.js";
import { isThrottle } from "../core/dispatch/retry.js";
import type { SessionInfo, UpstreamConfig } from "../core/upstream-runtime.js";
import { type LiveUpstream, PoolRuntime, type PoolRuntimeOptions } from "../core/upstream-runtime-pools.js";
import { commandName } from "../smpp/commands.js";
import type { ServiceMetrics, UpstreamSnapshot } from "./metrics.js";

/** The `upstream` label of an upstream no longer applied here (deleted while its work finished). */
export const UNKNOWN_UPSTREAM = "unknown";

interface Known {
  name: string;
  window: number;
}

export class ObservedPoolRuntime extends PoolRuntime {
  private readonly known: Map<string, Known>;
  private readonly timed = new WeakMap<LiveUpstream, SubmitTarget>();

  constructor(
    logger: Logger,
    private readonly metrics: ServiceMetrics,
    options: PoolRuntimeOptions = {},
  ) {
    // Filled by apply(); the session callback below runs only once pools exist, after this constructor.
    const known = new Map<string, Known>();
    super({
      ...options,
      pool: {
        ...options.pool,
        onSessionState: (sessionId, state, lastError) => {
          options.pool?.onSessionState?.(sessionId, state, lastError);
          const upstreamId = sessionId.slice(0, sessionId.lastIndexOf("#"));
          const fields = {
            upstream_id: upstreamId,
            upstream: known.get(upstreamId)?.name,
            session: sessionId,
            state,
            ...(lastError !== undefined && { error: lastError.message }),
          };
          if (lastError !== undefined && state !== "bound") logger.warn(fields, "smpp session state");
          else logger.info(fields, "smpp session state");
        },
        onMalformedTlv: (sessionId, tlv) => {
          options.pool?.onMalformedTlv?.(sessionId, tlv);
          const upstreamId = sessionId.slice(0, sessionId.lastIndexOf("#"));
          metrics.malformedTlv(known.get(upstreamId)?.name ?? UNKNOWN_UPSTREAM);
          // What is wrong with it, never its octets: the PDU may carry a subscriber's text.
          logger.warn(
            {
              upstream_id: upstreamId,
              upstream: known.get(upstreamId)?.name,
              session: sessionId,
              command: commandName(tlv.commandId) ?? tlv.commandId,
              tlv: tlv.name,
              tag: `0x${tlv.tag.toString(16).padStart(4, "0")}`,
              length: tlv.length,
              reason: tlv.reason,
            },
            "smpp TLV of the wrong length kept raw (once per tag per connection)",
          );
        },
      },
    });
    this.known = known;
  }

  override async apply(upstream: UpstreamConfig): Promise<void> {
    this.known.set(upstream.id, { name: upstream.name, window: upstream.window });
    await super.apply(upstream);
  }

  override async remove(id: string): Promise<void> {
    this.known.delete(id);
    await super.remove(id);
  }

  /** The name of an upstream (the `upstream` label); {@link UNKNOWN_UPSTREAM} once it is removed. */
  nameOf(id: string): string {
    return this.known.get(id)?.name ?? UNKNOWN_UPSTREAM;
  }

  /** Every upstream applied and not removed, with its live sessions. */
  *snapshots(): Iterable<UpstreamSnapshot & { id: string; sessions: SessionInfo[] }> {
    for (const [id, { name, window }] of this.known) yield { id, name, window, sessions: this.sessions(id) };
  }

  /** What the dispatcher sends through: this runtime, with each submit_sm timed per upstream. */
  dispatchView(): DispatchRuntime {
    return {
      isBound: (id) => this.isBound(id),
      get: (id) => {
        const live = this.get(id);
        if (live === undefined) return undefined;
        let target = this.timed.get(live);
        if (target === undefined) {
          target = this.timedTarget(live);
          this.timed.set(live, target);
        }
        return target;
      },
    };
  }

  private timedTarget(live: LiveUpstream): SubmitTarget {
    const metrics = this.metrics;
    return {
      // Read through: an admin PATCH replaces the configuration of the same live upstream.
      get config() {
        return live.config;
      },
      pool: {
        async submit(body, waitMs, signal) {
          const started = performance.now();
          try {
            return await live.pool.submit(body, waitMs, signal);
          } catch (error) {
            if (isThrottle(error)) metrics.throttled(live.config.name);
            throw error;
          } finally {
            metrics.submitDuration(live.config.name, (performance.now() - started) / 1000);
          }
        },
      },
    };
  }
}
