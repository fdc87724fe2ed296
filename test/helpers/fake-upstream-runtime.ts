import type {
  PduLogEntry,
  SessionInfo,
  UpstreamConfig,
  UpstreamRuntime,
} from "../../src/core/upstream-runtime.js";

/**
 * STAND-IN for the real SMPP pool, for the admin API route tests only: it records what the API asked
 * (apply / remove / setPduLog) and serves canned sessions and PDU log entries. It proves the API drives
 * the runtime correctly; it proves nothing about SMPP. The end-to-end test that boots the app with the
 * real pool against the simulator and sees a session reach `bound` replaces it once the pool is wired.
 */
export class FakeUpstreamRuntime implements UpstreamRuntime {
  /** Every call in order, e.g. `apply ups_…`, `remove ups_…`, `pdu-log ups_… on`. */
  readonly calls: string[] = [];
  /** The last configuration applied per upstream id (decrypted, as the pool would get it). */
  readonly configs = new Map<string, UpstreamConfig>();
  readonly pduLogSwitch = new Map<string, boolean>();
  private readonly sessionTable = new Map<string, SessionInfo[]>();
  private readonly logs = new Map<string, PduLogEntry[]>();

  async apply(upstream: UpstreamConfig): Promise<void> {
    this.calls.push(`apply ${upstream.id}`);
    this.configs.set(upstream.id, upstream);
    const count = upstream.enabled ? upstream.sessions : 0;
    this.sessionTable.set(
      upstream.id,
      Array.from({ length: count }, (_, i) => ({
        id: `${upstream.id}#${i + 1}`,
        state: "connecting" as const,
        local_address: null,
        remote_address: `${upstream.host}:${upstream.port}`,
        bound_at: null,
        in_flight: 0,
        send_rate_limit: null,
        submitted: 0,
        received: 0,
        last_error: null,
      })),
    );
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.configs.delete(id);
    this.sessionTable.delete(id);
  }

  sessions(id: string): SessionInfo[] {
    return this.sessionTable.get(id) ?? [];
  }

  setPduLog(id: string, enabled: boolean): void {
    this.calls.push(`pdu-log ${id} ${enabled ? "on" : "off"}`);
    this.pduLogSwitch.set(id, enabled);
  }

  pduLog(id: string, limit: number): PduLogEntry[] {
    return (this.logs.get(id) ?? []).slice(0, limit);
  }

  /** Test hook: put entries in an upstream's log, newest first. */
  seedPduLog(id: string, entries: PduLogEntry[]): void {
    this.logs.set(id, entries);
  }
}
