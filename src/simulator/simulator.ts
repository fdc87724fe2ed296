import { SmppServer } from "../smpp/net/server.js";
import type { BindRequest, ServerSession } from "../smpp/net/server-session.js";
import type { Pdu, PduOf } from "../smpp/pdu.js";
import { CommandStatus, statusInfo } from "../smpp/status.js";
import { decodeUserData, extractConcatInfo, splitUserData } from "../smpp/text/user-data.js";
import { formatAbsolute, parseSmppTime } from "../smpp/time.js";
import { authorizeBind } from "./accounts.js";
import { ControlServer } from "./control-server.js";
import { ANY_SYSTEM_ID, type DeliveryEvent, type DeliveryKind, DeliveryQueue } from "./delivery-queue.js";
import { DueQueue } from "./due-queue.js";
import { type Faults, GARBAGE_BYTES, NO_FAULTS, RateLimiter, validateFaults } from "./faults.js";
import { formatMessageId, MessageIdGenerator, otherMessageIdFormat } from "./message-id.js";
import { MessageStates, STATE_UNKNOWN } from "./message-states.js";
import { buildMo, type MoRequest } from "./mo.js";
import { type ResolvedSimulatorOptions, resolveSimulatorOptions, type SimulatorOptions } from "./options.js";
import { OutcomePicker, type ReceiptOutcome, receiptRequested } from "./outcomes.js";
import { buildReceipt, type ReceiptInput, receiptSnippet, type SubmitAddresses } from "./receipts.js";
import { type SimulatorCounters, type SimulatorStats, zeroCounters } from "./stats.js";
import { type SubmitConcat, SubmitLog, type SubmitRecord } from "./submit-record.js";

/** A bind the simulator refused (kept for inspection; the password is never kept). */
export interface FailedBind {
  at: string;
  system_id: string;
  mode: BindRequest["mode"];
  remote: string;
  status: number;
  status_name: string;
}

/** One connection as `simulator.sessions()` shows it. */
export interface SimulatorSessionInfo {
  id: number;
  state: ServerSession["state"];
  systemId: string;
  mode: ServerSession["mode"];
  remoteAddress: string;
  boundAt: string | undefined;
  /** deliver_sm awaiting a response. */
  inFlight: number;
  /** PDUs received. */
  received: number;
}

/** What `injectMo` did. */
export interface MoResult {
  /** deliver_sm parts queued (1 for a short text or message_payload). */
  parts: number;
  /** The system_id queue they went to (`*` = any receiver). */
  systemId: string;
}

interface PendingReceipt extends ReceiptInput {
  systemId: string;
  /** The submit's record (when recording), told where its receipt was taken. */
  record: SubmitRecord | undefined;
}

type SubmitLike = SubmitAddresses & {
  esm_class: number;
  registered_delivery: number;
  data_coding: number;
  short_message: Buffer;
  tlvs?: PduOf<"submit_sm">["tlvs"];
};

const FAILED_BINDS_KEPT = 100;
const MAX_MO_REFERENCE = 0x10000;

/**
 * An SMSC good enough to stand in for a real one in tests, the demo and benchmarks: binds in three
 * modes against accounts, submit_sm / data_sm answered with unique ids, delivery receipts after a delay
 * with a chosen outcome mix, inbound SMS (single and concatenated) spread over the receivers of a
 * system_id and held in an inbox while none is bound, query_sm, and switchable faults.
 *
 * ```ts
 * const sim = await Simulator.start({ accounts: [{ systemId: "acme", password: "pw" }] });
 * // bind to 127.0.0.1:sim.port …
 * sim.injectMo({ from: "447700900001", to: "1234", text: "hi" });
 * await sim.close();
 * ```
 */
export class Simulator {
  /** Received submits, newest last (bounded by `recordSubmits`). */
  readonly submits: SubmitLog;
  private readonly options: ResolvedSimulatorOptions;
  private readonly server: SmppServer;
  private readonly queue: DeliveryQueue;
  private readonly receipts: DueQueue<PendingReceipt>;
  private readonly states: MessageStates;
  private readonly ids = new MessageIdGenerator();
  private readonly picker: OutcomePicker;
  private readonly limiter: RateLimiter;
  private readonly random: () => number;
  private readonly receiptIdFormat: ResolvedSimulatorOptions["messageIdFormat"];
  private readonly bound = new Map<string, Set<ServerSession>>();
  private readonly unregister = new Map<ServerSession, () => void>();
  private readonly failed: FailedBind[] = [];
  private readonly counters: SimulatorCounters = zeroCounters();
  private faultsValue: Faults;
  private submitFaults = false;
  private control: ControlServer | undefined;
  private moReference: number;
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(options: SimulatorOptions = {}) {
    this.options = resolveSimulatorOptions(options);
    const o = this.options;
    this.random = o.random;
    this.picker = new OutcomePicker(o.outcomes, o.random);
    this.receiptIdFormat =
      o.receiptIdFormat === "other" ? otherMessageIdFormat(o.messageIdFormat) : o.messageIdFormat;
    this.submits = new SubmitLog(o.recordSubmits);
    this.states = new MessageStates(o.recordSubmits);
    this.faultsValue = { ...NO_FAULTS };
    this.limiter = new RateLimiter(0, Date.now());
    this.setFaults(o.faults ?? {});
    // Not from `random`, so tests that script the random draws get exactly the draws they expect.
    this.moReference = Date.now() % MAX_MO_REFERENCE;
    this.queue = new DeliveryQueue({
      limit: o.inboxLimit,
      maxAttempts: o.maxDeliveryAttempts,
      retryDelayMs: o.deliveryRetryDelayMs,
      onEvent: (kind, event) => this.countDelivery(kind, event),
    });
    this.receipts = new DueQueue((pending) => this.sendReceipt(pending));
    this.server = new SmppServer(
      {
        authenticate: (session, request) => this.authenticate(session, request),
        onBound: (session) => this.onBound(session),
        onRequest: (session, pdu) => this.onRequest(session, pdu),
        onClose: (session) => this.onSessionClose(session),
        intercept: (session, pdu) => this.intercept(session, pdu),
      },
      {
        host: o.host,
        port: o.port,
        tls: o.tls,
        session: {
          smscSystemId: o.smscSystemId,
          window: o.deliveryWindow,
          responseDelayMs: () => this.faultsValue.responseDelayMs,
        },
      },
    );
  }

  /** Creates and starts a simulator. */
  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const simulator = new Simulator(options);
    await simulator.start();
    return simulator;
  }

  /** Starts listening (and the HTTP control server when configured). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.server.listen();
    if (this.options.control) {
      this.control = new ControlServer(this, this.options.control);
      await this.control.listen();
    }
    this.options.logger?.info(
      { host: this.options.host, port: this.port, control_port: this.controlPort },
      "SMSC simulator listening",
    );
  }

  /** The SMPP port (useful with port 0). */
  get port(): number {
    return this.server.port;
  }

  get host(): string {
    return this.options.host;
  }

  /** The HTTP control port, when the control server runs. */
  get controlPort(): number | undefined {
    return this.control?.port;
  }

  /** The faults in force. */
  get faults(): Readonly<Faults> {
    return { ...this.faultsValue };
  }

  /**
   * Changes some fault switches now (the others stay); returns the full set in force.
   * Throws `RangeError` for an out-of-range value, changing nothing.
   */
  setFaults(patch: Partial<Faults>): Faults {
    validateFaults(patch);
    const next: Faults = { ...this.faultsValue };
    for (const key of Object.keys(NO_FAULTS) as (keyof Faults)[]) {
      const value = patch[key];
      if (value !== undefined) next[key] = value;
    }
    this.faultsValue = next;
    this.limiter.setRate(next.throttleRate, Date.now());
    this.submitFaults =
      next.throttleFraction > 0 ||
      next.throttleRate > 0 ||
      next.noResponseFraction > 0 ||
      next.submitErrorFraction > 0;
    return { ...next };
  }

  /** Turns every fault off. */
  clearFaults(): Faults {
    return this.setFaults(NO_FAULTS);
  }

  /**
   * Queues an inbound SMS for the receivers of a system_id: delivered at once when one is bound and
   * has room, else held until one binds. Throws `UnencodableCharacterError` / `TooManySegmentsError`
   * when the text cannot be encoded as asked.
   */
  injectMo(request: MoRequest): MoResult {
    const accounts = this.options.accounts;
    const only = accounts.length === 1 ? accounts[0] : undefined;
    const systemId = request.systemId ?? only?.systemId ?? ANY_SYSTEM_ID;
    const reference = this.moReference;
    this.moReference = (this.moReference + 1) % MAX_MO_REFERENCE;
    const bodies = buildMo(request, reference);
    this.counters.moInjected += bodies.length;
    for (const body of bodies) this.queue.enqueue(systemId, "mo", body);
    return { parts: bodies.length, systemId };
  }

  /**
   * Queues deliver_sm bodies exactly as given, like {@link injectMo} does its own: for inbound SMS a
   * text cannot describe (binary data, segments shuffled or repeated, hand-made headers).
   */
  injectDeliverSm(bodies: readonly PduOf<"deliver_sm">[], systemId?: string): MoResult {
    const only = this.options.accounts.length === 1 ? this.options.accounts[0] : undefined;
    const target = systemId ?? only?.systemId ?? ANY_SYSTEM_ID;
    this.counters.moInjected += bodies.length;
    for (const body of bodies) this.queue.enqueue(target, "mo", body);
    return { parts: bodies.length, systemId: target };
  }

  /** Counters and gauges. */
  stats(): SimulatorStats {
    let bound = 0;
    let receivers = 0;
    for (const set of this.bound.values()) {
      for (const s of set) {
        bound += 1;
        if (s.canReceive) receivers += 1;
      }
    }
    return {
      ...this.counters,
      connections: this.server.sessions.size,
      bound,
      receivers,
      receiptsScheduled: this.receipts.size,
      held: this.queue.held(),
      retrying: this.queue.retrying,
    };
  }

  /** deliver_sm waiting in the inbox for `systemId` (all when omitted). */
  held(systemId?: string): number {
    return this.queue.held(systemId);
  }

  /** The latest refused binds, oldest first. */
  failedBinds(): FailedBind[] {
    return [...this.failed];
  }

  /** Open connections. */
  sessions(): SimulatorSessionInfo[] {
    return [...this.server.sessions].map((s) => ({
      id: s.id,
      state: s.state,
      systemId: s.systemId,
      mode: s.mode,
      remoteAddress: s.remoteAddress,
      boundAt: s.boundAt === undefined ? undefined : new Date(s.boundAt).toISOString(),
      inFlight: s.inFlight,
      received: s.received,
    }));
  }

  /** Cuts every connection at once, without unbind (a crashed or rebooted SMSC). */
  disconnectAll(): void {
    for (const s of this.server.sessions) s.destroy();
  }

  /**
   * Stops: pending receipts and the inbox are dropped, bound ESMEs get an unbind (answered or not
   * within a second), and every socket and timer is closed.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.receipts.close();
      this.queue.close();
      await this.control?.close();
      await this.server.close(1000);
      this.options.logger?.info({ port: this.port }, "SMSC simulator closed");
    })();
    return this.closing;
  }

  // ---- binds ----

  private authenticate(session: ServerSession, request: BindRequest): number {
    const refused = this.faultsValue.refuseBindsStatus;
    const status =
      refused !== 0
        ? refused
        : authorizeBind(
            request,
            this.options.accounts,
            this.bound.get(request.system_id)?.size ?? 0,
            this.options.maxBindsPerSystemId,
          );
    if (status === CommandStatus.ESME_ROK) {
      this.counters.bindsAccepted += 1;
      return status;
    }
    this.counters.bindsRefused += 1;
    const failed: FailedBind = {
      at: new Date().toISOString(),
      system_id: request.system_id,
      mode: request.mode,
      remote: session.remoteAddress,
      status,
      status_name: statusInfo(status).name,
    };
    this.failed.push(failed);
    if (this.failed.length > FAILED_BINDS_KEPT) this.failed.shift();
    this.options.logger?.warn({ ...failed, session: session.id }, "bind refused");
    return status;
  }

  private onBound(session: ServerSession): void {
    const systemId = session.systemId;
    let set = this.bound.get(systemId);
    if (!set) {
      set = new Set();
      this.bound.set(systemId, set);
    }
    set.add(session);
    this.options.logger?.info(
      { session: session.id, system_id: systemId, mode: session.mode, remote: session.remoteAddress },
      "bound",
    );
    if (!session.canReceive) return;
    const timeoutMs = this.options.deliveryTimeoutMs;
    const target = {
      sessionId: session.id,
      get freeSlots(): number {
        return session.freeSlots;
      },
      deliver: (pdu: PduOf<"deliver_sm">) => session.deliver(pdu, timeoutMs),
    };
    this.unregister.set(session, () => this.queue.removeTarget(systemId, target));
    this.queue.addTarget(systemId, target);
  }

  private onSessionClose(session: ServerSession): void {
    const set = this.bound.get(session.systemId);
    if (set?.delete(session)) {
      if (set.size === 0) this.bound.delete(session.systemId);
      this.options.logger?.info({ session: session.id, system_id: session.systemId }, "session closed");
    }
    this.unregister.get(session)?.();
    this.unregister.delete(session);
  }

  // ---- faults that apply to every PDU ----

  private intercept(session: ServerSession, pdu: Pdu): boolean {
    const f = this.faultsValue;
    if (f.dropAfterPdus > 0 && session.received >= f.dropAfterPdus) {
      this.counters.dropped += 1;
      session.destroy();
      return true;
    }
    if (f.garbageFraction > 0 && !isResponse(pdu) && this.random() < f.garbageFraction) {
      this.counters.garbage += 1;
      session.writeRaw(GARBAGE_BYTES);
      return true;
    }
    return false;
  }

  // ---- requests ----

  private onRequest(session: ServerSession, pdu: Pdu): void {
    switch (pdu.command) {
      case "submit_sm":
        this.onSubmit(session, pdu);
        return;
      case "data_sm":
        this.onDataSm(session, pdu);
        return;
      case "query_sm":
        this.onQuery(session, pdu);
        return;
      case "cancel_sm":
        session.respondStatus(pdu, CommandStatus.ESME_RCANCELFAIL);
        return;
      case "replace_sm":
        session.respondStatus(pdu, CommandStatus.ESME_RREPLACEFAIL);
        return;
      default:
        session.respondStatus(pdu, CommandStatus.ESME_RINVCMDID);
    }
  }

  /** The status a submit gets from the faults: -1 for no answer at all, 0 when no fault applies. */
  private submitFault(): number {
    const f = this.faultsValue;
    const r = this.random;
    if (f.noResponseFraction > 0 && r() < f.noResponseFraction) {
      this.counters.unanswered += 1;
      return -1;
    }
    if (
      (f.throttleFraction > 0 && r() < f.throttleFraction) ||
      (f.throttleRate > 0 && !this.limiter.take(Date.now()))
    ) {
      this.counters.throttled += 1;
      return CommandStatus.ESME_RTHROTTLED;
    }
    if (f.submitErrorFraction > 0 && r() < f.submitErrorFraction) {
      this.counters.submitErrors += 1;
      return f.submitErrorStatus;
    }
    return 0;
  }

  private onSubmit(session: ServerSession, pdu: PduOf<"submit_sm">): void {
    this.counters.submits += 1;
    let status = this.submitFaults ? this.submitFault() : 0;
    if (status < 0) return;
    if (status === 0 && pdu.destination_addr === "") status = CommandStatus.ESME_RINVDSTADR;
    if (status === 0) status = timeFieldStatus(pdu);
    if (status !== 0) {
      session.respond({
        command: "submit_sm_resp",
        command_status: status,
        sequence_number: pdu.sequence_number,
        message_id: "",
      });
      if (this.submits.enabled) this.record(session, "submit_sm", pdu, "", status);
      return;
    }
    const id = this.ids.nextNumber();
    const messageId = formatMessageId(id, this.options.messageIdFormat);
    session.respond({
      command: "submit_sm_resp",
      command_status: 0,
      sequence_number: pdu.sequence_number,
      message_id: messageId,
    });
    this.counters.submitsAccepted += 1;
    this.accepted(session, "submit_sm", pdu, id, messageId);
  }

  private onDataSm(session: ServerSession, pdu: PduOf<"data_sm">): void {
    this.counters.submits += 1;
    const message: SubmitLike = { ...pdu, short_message: Buffer.alloc(0) };
    let status = this.submitFaults ? this.submitFault() : 0;
    if (status < 0) return;
    if (status === 0 && pdu.destination_addr === "") status = CommandStatus.ESME_RINVDSTADR;
    if (status !== 0) {
      session.respond({
        command: "data_sm_resp",
        command_status: status,
        sequence_number: pdu.sequence_number,
        message_id: "",
      });
      if (this.submits.enabled) this.record(session, "data_sm", message, "", status);
      return;
    }
    const id = this.ids.nextNumber();
    const messageId = formatMessageId(id, this.options.messageIdFormat);
    session.respond({
      command: "data_sm_resp",
      command_status: 0,
      sequence_number: pdu.sequence_number,
      message_id: messageId,
    });
    this.counters.submitsAccepted += 1;
    this.accepted(session, "data_sm", message, id, messageId);
  }

  /** After an accepted submit: record it, remember its fate for query_sm, schedule its receipt. */
  private accepted(
    session: ServerSession,
    command: "submit_sm" | "data_sm",
    message: SubmitLike,
    id: number,
    messageId: string,
  ): void {
    const record = this.submits.enabled ? this.record(session, command, message, messageId, 0) : undefined;
    const wantsReceipt = (message.registered_delivery & 0x03) !== 0;
    if (!wantsReceipt && !this.states.enabled) return;
    const outcome: ReceiptOutcome = this.picker.pick();
    const o = this.options;
    const delay = o.dlrDelayMs + (o.dlrJitterMs > 0 ? Math.floor(this.random() * o.dlrJitterMs) : 0);
    const now = Date.now();
    this.states.set(id, outcome, now + delay);
    if (!wantsReceipt || !receiptRequested(message.registered_delivery, outcome)) return;
    let snippet = "";
    try {
      snippet = receiptSnippet(splitUserData(message).body, message.data_coding);
    } catch {
      // A malformed UDH: the receipt simply repeats no text.
    }
    this.receipts.add(
      {
        systemId: session.systemId,
        record,
        messageId: formatMessageId(id, this.receiptIdFormat),
        outcome,
        submittedAt: now,
        snippet,
        source_addr_ton: message.source_addr_ton,
        source_addr_npi: message.source_addr_npi,
        source_addr: message.source_addr,
        dest_addr_ton: message.dest_addr_ton,
        dest_addr_npi: message.dest_addr_npi,
        destination_addr: message.destination_addr,
      },
      delay,
    );
  }

  private sendReceipt(pending: PendingReceipt): void {
    const record = pending.record;
    this.queue.enqueue(
      pending.systemId,
      "receipt",
      buildReceipt(pending, Date.now()),
      record &&
        ((target) => {
          record.receiptSessionId = target.sessionId;
        }),
    );
  }

  private onQuery(session: ServerSession, pdu: PduOf<"query_sm">): void {
    this.counters.queries += 1;
    const id = parseMessageIdCandidates(pdu.message_id, this.options.messageIdFormat).find((n) =>
      this.ids.issued(n),
    );
    if (id === undefined) {
      session.respondStatus(pdu, CommandStatus.ESME_RQUERYFAIL);
      return;
    }
    const status = this.states.get(id, Date.now());
    session.respond({
      command: "query_sm_resp",
      command_status: 0,
      sequence_number: pdu.sequence_number,
      message_id: pdu.message_id,
      final_date: status?.finalAt === undefined ? "" : formatAbsolute(new Date(status.finalAt)),
      message_state: status?.state ?? STATE_UNKNOWN,
      error_code: Math.min(status?.errorCode ?? 0, 0xff),
    });
  }

  private record(
    session: ServerSession,
    command: "submit_sm" | "data_sm",
    message: SubmitLike,
    messageId: string,
    status: number,
  ): SubmitRecord {
    let text = "";
    let udh: Buffer | undefined;
    let concat: SubmitConcat | undefined;
    try {
      const decoded = decodeUserData(message);
      text = decoded.text;
      if (decoded.udh) {
        const raw = message.tlvs?.message_payload ?? message.short_message;
        udh = Buffer.from(raw.subarray(0, decoded.udh.length));
      }
      const info = extractConcatInfo(message);
      if (info) concat = { scheme: info.scheme, ref: info.ref, total: info.total, seq: info.seq };
    } catch {
      // Malformed UDH or undecodable text: keep the raw octets only.
    }
    const payload = message.tlvs?.message_payload ?? message.short_message;
    const record: SubmitRecord = {
      command,
      messageId,
      status,
      systemId: session.systemId,
      sessionId: session.id,
      source: message.source_addr,
      destination: message.destination_addr,
      esmClass: message.esm_class,
      dataCoding: message.data_coding,
      registeredDelivery: message.registered_delivery,
      // Copied: the decoded PDU's buffers are views into the socket's read buffer.
      payload: Buffer.from(payload),
      text,
      receivedAt: Date.now(),
      ...(udh ? { udh } : {}),
      ...(concat ? { concat } : {}),
    };
    this.submits.add(record);
    return record;
  }

  private countDelivery(kind: DeliveryKind, event: DeliveryEvent): void {
    const c = this.counters;
    if (kind === "receipt") {
      if (event === "sent") c.receiptsSent += 1;
      else if (event === "acked") c.receiptsAcked += 1;
      else if (event !== "retry") c.receiptsFailed += 1;
    } else {
      if (event === "sent") c.moSent += 1;
      else if (event === "acked") c.moAcked += 1;
      else if (event !== "retry") c.moFailed += 1;
    }
  }
}

/**
 * ESME_RINVSCHED / ESME_RINVEXPIRY for a time field of 16 characters that is not SMPP time (NOTES §11),
 * as an SMSC answers; the codec checks only the length. 0 when both are empty or valid.
 */
function timeFieldStatus(pdu: PduOf<"submit_sm">): number {
  const now = new Date();
  for (const [value, status] of [
    [pdu.schedule_delivery_time, CommandStatus.ESME_RINVSCHED],
    [pdu.validity_period, CommandStatus.ESME_RINVEXPIRY],
  ] as const) {
    try {
      parseSmppTime(value, now);
    } catch {
      return status;
    }
  }
  return 0;
}

function isResponse(pdu: Pdu): boolean {
  return pdu.command === "generic_nack" || pdu.command.endsWith("_resp");
}

/** The numbers a message id may stand for, read in the configured format first, then the other. */
function parseMessageIdCandidates(text: string, format: "hex" | "decimal"): number[] {
  const trimmed = text.trim().toLowerCase();
  const asHex = /^[0-9a-f]{1,13}$/.test(trimmed) ? Number.parseInt(trimmed, 16) : undefined;
  const asDec = /^[0-9]{1,16}$/.test(trimmed) ? Number(trimmed) : undefined;
  const ordered = format === "hex" ? [asHex, asDec] : [asDec, asHex];
  return ordered.filter((n): n is number => n !== undefined && Number.isSafeInteger(n));
}
