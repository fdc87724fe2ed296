/**
 * The real {@link UpstreamRuntime}: one {@link UpstreamPool} per upstream row, a bounded PDU log per
 * upstream for the admin API, and the routing of what the SMSCs push to us — receipts to the receipt
 * handler, other deliver_sm / data_sm to the inbound handler. With no handler for a kind, the answer is
 * ESME_RX_T_APPN (temporary): the SMSC keeps the PDU and delivers it again later, nothing is dropped.
 */

import type { PduTraceEvent } from "../smpp/net/pdu-connection.js";
import { UpstreamPool, type UpstreamPoolOptions } from "../smpp/net/pool.js";
import type { AnswerWatch, InboundPdu } from "../smpp/net/types.js";
import { isReceipt } from "../smpp/receipt.js";
import { CommandStatus } from "../smpp/status.js";
import type { UpstreamAvailability } from "./routing.js";
import type { PduLogEntry, SessionInfo, UpstreamConfig, UpstreamRuntime } from "./upstream-runtime.js";

/** Takes a deliver_sm / data_sm and resolves with its command_status once it is stored (0 = ESME_ROK). */
export interface InboundPduHandler {
  handle(
    upstreamId: string,
    pdu: InboundPdu,
    sessionId: string,
    answer?: AnswerWatch,
  ): number | Promise<number>;
}

export interface PoolRuntimeOptions {
  /** Pool behaviour (waits, grace, session backoffs, …); the inbound handler and trace are set here. */
  pool?: Omit<UpstreamPoolOptions, "onInbound" | "trace">;
  /** PDUs kept per upstream in the PDU log, newest replacing oldest. Default 1000. */
  pduLogSize?: number;
}

/** A live upstream: its pool and the configuration it runs with. */
export interface LiveUpstream {
  readonly pool: UpstreamPool;
  readonly config: UpstreamConfig;
}

interface Entry {
  pool: UpstreamPool;
  config: UpstreamConfig;
  log: PduRing;
  logging: boolean;
}

export class PoolRuntime implements UpstreamRuntime, UpstreamAvailability {
  private readonly entries = new Map<string, Entry>();
  private receiptHandler: InboundPduHandler | undefined;
  private inboundHandler: InboundPduHandler | undefined;
  private readonly pduLogSize: number;

  constructor(private readonly options: PoolRuntimeOptions = {}) {
    this.pduLogSize = Math.max(1, options.pduLogSize ?? 1000);
  }

  /** Where receipts go (the receipt processor). Unset: receipts are answered ESME_RX_T_APPN. */
  setReceiptHandler(handler: InboundPduHandler | undefined): void {
    this.receiptHandler = handler;
  }

  /** Where inbound SMS go (issue 6). Unset: they are answered ESME_RX_T_APPN so the SMSC keeps them. */
  setInboundHandler(handler: InboundPduHandler | undefined): void {
    this.inboundHandler = handler;
  }

  async apply(upstream: UpstreamConfig): Promise<void> {
    const existing = this.entries.get(upstream.id);
    if (existing !== undefined) {
      existing.config = upstream;
      this.setLogging(existing, upstream.pdu_log);
      await existing.pool.reconfigure(upstream);
      return;
    }
    const id = upstream.id;
    const entry: Entry = {
      config: upstream,
      log: new PduRing(this.pduLogSize),
      logging: false,
      pool: new UpstreamPool(upstream, {
        ...this.options.pool,
        onInbound: (pdu, sessionId, answer) => this.onInbound(id, pdu, sessionId, answer),
      }),
    };
    this.entries.set(id, entry);
    this.setLogging(entry, upstream.pdu_log);
    entry.pool.start();
  }

  async remove(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    await entry.pool.close();
  }

  sessions(id: string): SessionInfo[] {
    const entry = this.entries.get(id);
    if (entry === undefined) return [];
    return entry.pool.sessionsInfo().map((s) => ({
      id: s.id,
      state: s.state,
      local_address: s.local_address,
      remote_address: s.remote_address,
      bound_at: s.bound_at,
      in_flight: s.in_flight,
      send_rate_limit: s.send_rate_limit,
      submitted: s.submitted,
      received: s.received,
      last_error: s.last_error,
    }));
  }

  setPduLog(id: string, enabled: boolean): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.setLogging(entry, enabled);
  }

  pduLog(id: string, limit: number): PduLogEntry[] {
    return this.entries.get(id)?.log.newest(limit) ?? [];
  }

  /** The pool and configuration of a running upstream; undefined when unknown. */
  get(id: string): LiveUpstream | undefined {
    return this.entries.get(id);
  }

  isBound(id: string): boolean {
    const entry = this.entries.get(id);
    // A receiver's bound sessions refuse every submit_sm (ESME_RINVBNDSTS): counted as bound, it took
    // a route's traffic from the transmitters after it until the messages ran out of attempts.
    if (entry === undefined || !entry.config.enabled || entry.config.bind_mode === "receiver") return false;
    return entry.pool.boundCount > 0;
  }

  /** Unbinds every upstream (gracefully, bounded by the pools' close timeout). */
  async close(): Promise<void> {
    const pools = [...this.entries.values()].map((e) => e.pool.close());
    this.entries.clear();
    await Promise.all(pools);
  }

  private setLogging(entry: Entry, enabled: boolean): void {
    if (entry.logging === enabled) return;
    entry.logging = enabled;
    // The trace costs a hex dump per PDU, so it is attached only while someone asked for it.
    entry.pool.setTrace(enabled ? (event) => entry.log.push(event) : undefined);
  }

  private onInbound(
    upstreamId: string,
    pdu: InboundPdu,
    sessionId: string,
    answer: AnswerWatch | undefined,
  ): number | Promise<number> {
    const handler = isReceipt(pdu) ? this.receiptHandler : this.inboundHandler;
    if (handler === undefined) return CommandStatus.ESME_RX_T_APPN;
    return handler.handle(upstreamId, pdu, sessionId, answer);
  }
}

/** The newest PDUs of one upstream, in a fixed ring. */
class PduRing {
  private readonly items: Array<PduLogEntry | undefined>;
  private next = 0;
  private count = 0;

  constructor(private readonly size: number) {
    this.items = new Array<PduLogEntry | undefined>(size);
  }

  push(event: PduTraceEvent): void {
    this.items[this.next] = {
      at: event.at,
      session_id: event.session_id,
      direction: event.direction,
      command: event.command,
      sequence: event.sequence,
      command_status: event.command_status,
      hex: event.hex,
    };
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  newest(limit: number): PduLogEntry[] {
    const out: PduLogEntry[] = [];
    const n = Math.min(Math.max(0, limit), this.count);
    for (let k = 1; k <= n; k++) {
      const entry = this.items[(this.next - k + this.size) % this.size];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
