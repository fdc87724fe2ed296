import type { Socket } from "node:net";
import { commandName, type RequestName, responseNameOf } from "../commands.js";
import type { SmppDecodeError } from "../errors.js";
import type { Pdu, PduOf } from "../pdu.js";
import { CommandStatus } from "../status.js";
import { emptyResponse } from "./empty-response.js";
import { SessionClosedError } from "./errors.js";
import { PduConnection, type PduTraceHook } from "./pdu-connection.js";
import { Window } from "./window.js";

/** How an ESME bound: what it may send and whether it takes deliver_sm. */
export type BindMode = "transmitter" | "receiver" | "transceiver";

/** `open` until a bind is accepted; `unbinding` once either side sent unbind; `closed` when the socket is gone. */
export type ServerSessionState = "open" | "binding" | "bound" | "unbinding" | "closed";

/** A bind request as the authentication callback sees it. */
export interface BindRequest {
  mode: BindMode;
  system_id: string;
  password: string;
  system_type: string;
  interface_version: number;
  addr_ton: number;
  addr_npi: number;
  address_range: string;
}

/** What the owner (the simulator) decides and hears. */
export interface ServerSessionHandlers {
  /**
   * Decides a bind: 0 (ESME_ROK) accepts it, any other command_status refuses it. May be async;
   * requests arriving meanwhile are refused with ESME_RINVBNDSTS.
   */
  authenticate(session: ServerSession, request: BindRequest): number | Promise<number>;
  /**
   * A request the ESME may send in its bind mode: submit_sm, data_sm, query_sm, cancel_sm, replace_sm
   * or submit_multi. Answer it with {@link ServerSession.respond} (now or later, or never to test timeouts).
   */
  onRequest(session: ServerSession, pdu: Pdu): void;
  /** The bind was accepted and its response queued. */
  onBound?(session: ServerSession): void;
  /** The connection is gone; every deliver_sm awaiting a response has been failed. */
  onClose?(session: ServerSession, err: Error | undefined): void;
  /**
   * Sees every PDU first. Returning true means the owner took care of it (dropped the connection,
   * answered garbage …) and the session does nothing more with it.
   */
  intercept?(session: ServerSession, pdu: Pdu): boolean;
}

/** Options of {@link ServerSession}. */
export interface ServerSessionOptions {
  /** Number for logs and the trace label. */
  id: number;
  /** system_id put in bind responses. Default `"SMSC"`. */
  smscSystemId?: string;
  /** deliver_sm / data_sm outstanding at once. Default 100. */
  window?: number;
  /** Largest PDU accepted, in octets. Default 65536. */
  maxPduLength?: number;
  /** Delay, in milliseconds, applied to every response sent with {@link ServerSession.respond}; read per response. Default none. */
  responseDelayMs?: () => number;
  /** Low-level trace of every PDU in and out (passwords masked). Default none. */
  trace?: PduTraceHook;
  /**
   * Refuse a known TLV whose length does not fit its type with ESME_RINVPARLEN, as a strict SMSC does,
   * instead of keeping it raw as our ESME side does. Default true: the simulator is what our own
   * encoding is tested against, and a lenient one would let a bad TLV of ours pass unseen.
   */
  strictTlvs?: boolean;
}

const SC_INTERFACE_VERSION = 0x34;

type Response = Pdu;

/**
 * The SMSC side of one SMPP connection: answers binds through an authentication callback, keeps the
 * bind state and mode, answers enquire_link and unbind itself, refuses what the bind mode does not
 * allow (ESME_RINVBNDSTS), answers generic_nack to unknown or undecodable PDUs, and sends deliver_sm /
 * data_sm through a window, each awaiting its response with a timeout.
 */
export class ServerSession {
  readonly id: number;
  readonly connection: PduConnection;
  private stateValue: ServerSessionState = "open";
  private modeValue: BindMode | undefined;
  private systemIdValue = "";
  private readonly window: Window<Response>;
  private readonly handlers: ServerSessionHandlers;
  private readonly smscSystemId: string;
  private readonly responseDelayMs: (() => number) | undefined;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly socket: Socket;
  /** PDUs received, binds included; read by fault injection. */
  received = 0;
  readonly connectedAt = Date.now();
  boundAt: number | undefined;

  constructor(socket: Socket, handlers: ServerSessionHandlers, options: ServerSessionOptions) {
    this.id = options.id;
    this.socket = socket;
    this.handlers = handlers;
    this.smscSystemId = options.smscSystemId ?? "SMSC";
    this.responseDelayMs = options.responseDelayMs;
    this.window = new Window<Response>({ size: options.window ?? 100 });
    this.connection = new PduConnection(
      socket,
      {
        onPdu: (pdu) => this.onPdu(pdu),
        onDecodeError: (err) => this.onDecodeError(err),
        onClose: (err) => this.onClose(err),
      },
      {
        maxPduLength: options.maxPduLength,
        label: `server-${options.id}`,
        trace: options.trace,
        strictTlvs: options.strictTlvs ?? true,
      },
    );
  }

  get state(): ServerSessionState {
    return this.stateValue;
  }

  /** The bind mode once bound. */
  get mode(): BindMode | undefined {
    return this.modeValue;
  }

  /** The system_id the ESME bound with ("" before). */
  get systemId(): string {
    return this.systemIdValue;
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  /** True when bound as receiver or transceiver. */
  get canReceive(): boolean {
    return this.stateValue === "bound" && this.modeValue !== "transmitter";
  }

  /** deliver_sm / data_sm this session can send right now without waiting for a response. */
  get freeSlots(): number {
    return this.canReceive && !this.connection.isClosed ? this.window.free : 0;
  }

  /** deliver_sm / data_sm sent and not yet answered. */
  get inFlight(): number {
    return this.window.inFlight;
  }

  /**
   * Sends a response (built by the owner, sequence_number echoing the request), after the configured
   * response delay if any.
   */
  respond(pdu: Pdu): void {
    const delay = this.responseDelayMs?.() ?? 0;
    if (delay <= 0) {
      this.connection.send(pdu);
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.connection.send(pdu);
    }, delay);
    timer.unref();
    this.delayed.add(timer);
  }

  /** Answers `request` with an empty response carrying `status`. */
  respondStatus(request: Pdu, status: number): void {
    const name = responseNameOf(request.command);
    if (name === undefined) return;
    this.respond(emptyResponse(request.command as RequestName, request.sequence_number, status));
  }

  /**
   * Sends a deliver_sm (its sequence_number is set here, in place: the PDU is encoded at once, so the
   * same object can be sent again later) and resolves with the response: deliver_sm_resp, or the
   * generic_nack the ESME answered with. Rejects with a `ResponseTimeoutError` after `timeoutMs`, or a
   * `SessionClosedError` when the session is not a bound receiver, has no free slot, or closes first.
   */
  deliver(pdu: PduOf<"deliver_sm">, timeoutMs: number): Promise<Pdu> {
    return this.sendRequest(pdu, timeoutMs);
  }

  /** Like {@link deliver}, for data_sm. */
  dataSm(pdu: PduOf<"data_sm">, timeoutMs: number): Promise<Pdu> {
    return this.sendRequest(pdu, timeoutMs);
  }

  /**
   * Graceful end: sends unbind, waits (at most `timeoutMs`) for unbind_resp, then closes the connection.
   * Deliveries still outstanding fail with `SessionClosedError`.
   */
  async unbind(timeoutMs = 2000): Promise<void> {
    if (this.stateValue === "closed") return;
    if (this.stateValue === "bound") {
      this.stateValue = "unbinding";
      const seq = this.window.nextSequence();
      const answered = this.window.track(seq, "unbind", timeoutMs, false).then(
        () => undefined,
        () => undefined,
      );
      this.connection.send({ command: "unbind", command_status: 0, sequence_number: seq });
      await answered;
    }
    this.connection.end();
    await this.closedWithin(timeoutMs);
  }

  /** Closes at once without unbinding. */
  destroy(err?: Error): void {
    this.connection.destroy(err);
  }

  /** Writes raw octets past the PDU layer: fault injection's "garbage" answer. */
  writeRaw(bytes: Buffer): void {
    if (!this.connection.isClosed) this.socket.write(bytes);
  }

  /** Resolves when the connection has closed. */
  whenClosed(): Promise<void> {
    return this.connection.whenClosed();
  }

  private async closedWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    await Promise.race([this.connection.whenClosed(), timeout]);
    clearTimeout(timer);
    if (!this.connection.isClosed) this.connection.destroy();
  }

  private sendRequest(pdu: PduOf<"deliver_sm"> | PduOf<"data_sm">, timeoutMs: number): Promise<Pdu> {
    if (!this.canReceive || this.connection.isClosed) {
      return Promise.reject(new SessionClosedError(`session ${this.id} cannot take ${pdu.command}`, false));
    }
    if (!this.window.tryAcquire()) {
      return Promise.reject(new SessionClosedError(`session ${this.id} has no free window slot`, false));
    }
    const seq = this.window.nextSequence();
    pdu.sequence_number = seq;
    pdu.command_status = 0;
    const response = this.window.track(seq, pdu.command, timeoutMs, true);
    try {
      this.connection.send(pdu);
    } catch (err) {
      this.window.reject(seq, err instanceof Error ? err : new Error(String(err)));
    }
    return response;
  }

  private onPdu(pdu: Pdu): void {
    this.received += 1;
    if (this.handlers.intercept?.(this, pdu) === true) return;
    switch (pdu.command) {
      case "submit_sm":
      case "data_sm":
      case "query_sm":
      case "cancel_sm":
      case "replace_sm":
      case "submit_multi":
        if (this.stateValue !== "bound" || this.modeValue === "receiver") {
          this.respondStatus(pdu, CommandStatus.ESME_RINVBNDSTS);
        } else {
          this.handlers.onRequest(this, pdu);
        }
        return;
      case "deliver_sm_resp":
      case "data_sm_resp":
      case "unbind_resp":
      case "enquire_link_resp":
      case "generic_nack":
        this.window.resolve(pdu.sequence_number, pdu);
        return;
      case "enquire_link":
        this.respond({
          command: "enquire_link_resp",
          command_status: 0,
          sequence_number: pdu.sequence_number,
        });
        return;
      case "unbind":
        this.onUnbind(pdu.sequence_number);
        return;
      case "bind_transmitter":
        this.onBind(pdu, "transmitter");
        return;
      case "bind_receiver":
        this.onBind(pdu, "receiver");
        return;
      case "bind_transceiver":
        this.onBind(pdu, "transceiver");
        return;
      default:
        this.refuse(pdu);
    }
  }

  /** A PDU an ESME has no business sending (deliver_sm, outbind, a stray response …). */
  private refuse(pdu: Pdu): void {
    if (responseNameOf(pdu.command) !== undefined) {
      this.respondStatus(pdu, CommandStatus.ESME_RINVCMDID);
    } else if (pdu.command === "outbind" || pdu.command === "alert_notification") {
      this.connection.send({
        command: "generic_nack",
        command_status: CommandStatus.ESME_RINVCMDID,
        sequence_number: pdu.sequence_number,
      });
    }
    // Responses to requests we never sent are ignored, as the spec asks (no response to a response).
  }

  private onBind(
    pdu: PduOf<"bind_transmitter" | "bind_receiver" | "bind_transceiver">,
    mode: BindMode,
  ): void {
    const command = pdu.command;
    const seq = pdu.sequence_number;
    if (this.stateValue !== "open") {
      const status =
        this.stateValue === "bound" || this.stateValue === "binding"
          ? CommandStatus.ESME_RALYBND
          : CommandStatus.ESME_RINVBNDSTS;
      this.respondStatus(pdu, status);
      return;
    }
    this.stateValue = "binding";
    const request: BindRequest = {
      mode,
      system_id: pdu.system_id,
      password: pdu.password,
      system_type: pdu.system_type,
      interface_version: pdu.interface_version,
      addr_ton: pdu.addr_ton,
      addr_npi: pdu.addr_npi,
      address_range: pdu.address_range,
    };
    const finish = (status: number): void => {
      if (this.stateValue !== "binding") return; // closed meanwhile
      const respName = `${command}_resp` as const;
      if (status !== CommandStatus.ESME_ROK) {
        this.stateValue = "open";
        this.respond({ command: respName, command_status: status, sequence_number: seq, system_id: "" });
        return;
      }
      this.stateValue = "bound";
      this.modeValue = mode;
      this.systemIdValue = pdu.system_id;
      this.boundAt = Date.now();
      this.respond({
        command: respName,
        command_status: 0,
        sequence_number: seq,
        system_id: this.smscSystemId,
        tlvs: { sc_interface_version: SC_INTERFACE_VERSION },
      });
      this.handlers.onBound?.(this);
    };
    let decision: number | Promise<number>;
    try {
      decision = this.handlers.authenticate(this, request);
    } catch {
      decision = CommandStatus.ESME_RBINDFAIL;
    }
    if (typeof decision === "number") finish(decision);
    else decision.then(finish, () => finish(CommandStatus.ESME_RBINDFAIL));
  }

  private onUnbind(seq: number): void {
    this.stateValue = "unbinding";
    // Not delayed: the answer must leave before the FIN that follows it.
    this.connection.send({ command: "unbind_resp", command_status: 0, sequence_number: seq });
    this.window.rejectAll("the ESME unbound");
    this.connection.end();
  }

  private onDecodeError(err: SmppDecodeError): void {
    this.received += 1;
    const name = commandName(err.commandId);
    const responseName = name === undefined ? undefined : responseNameOf(name);
    if (name !== undefined && responseName !== undefined && err.commandId >>> 31 === 0) {
      this.respond(emptyResponse(name as RequestName, err.sequenceNumber, err.status));
      return;
    }
    if (err.commandId >>> 31 === 1 && name !== undefined) {
      // A response we cannot read still settles its request, as a failure.
      this.window.resolve(err.sequenceNumber, {
        command: "generic_nack",
        command_status: err.status,
        sequence_number: err.sequenceNumber,
      });
      return;
    }
    this.connection.send({
      command: "generic_nack",
      command_status: err.status,
      sequence_number: err.sequenceNumber,
    });
  }

  private onClose(err: Error | undefined): void {
    this.stateValue = "closed";
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.window.close(err ? `connection lost: ${err.message}` : "connection closed");
    this.handlers.onClose?.(this, err);
  }
}
