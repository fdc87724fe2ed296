import type { Socket } from "node:net";
import { type DecodeOptions, decodePdu, encodePdu } from "../codec.js";
import { commandName } from "../commands.js";
import { FramingError, SmppDecodeError } from "../errors.js";
import { Framer } from "../framer.js";
import type { Pdu } from "../pdu.js";
import type { MalformedTlv } from "../tlv.js";
import { maskedFrame } from "./mask.js";

/** One PDU as the low-level trace (the admin "PDU log") sees it. Passwords are already masked. */
export interface PduTraceEvent {
  /** When it was read or queued for writing, ISO 8601 UTC. */
  at: string;
  /** Whatever the owner labelled the connection with (a session id), "" when unlabelled. */
  session_id: string;
  /** `tx`: we sent it; `rx`: we received it. */
  direction: "tx" | "rx";
  /** Command name, e.g. `submit_sm_resp`, or the command_id in hex when v3.4 does not define it. */
  command: string;
  command_id: number;
  sequence: number;
  command_status: number;
  /** The whole PDU in lowercase hex, password octets of bind and outbind replaced by `*` (0x2a). */
  hex: string;
}

/** Receives every PDU in and out. Must not throw; it runs on the connection's hot path when set. */
export type PduTraceHook = (event: PduTraceEvent) => void;

/** What a {@link PduConnection} reports to its owner (a client or server session). */
export interface PduConnectionHandlers {
  /** A decoded PDU arrived. */
  onPdu(pdu: Pdu): void;
  /**
   * A sound frame whose body could not be decoded. Recoverable: the owner answers it (generic_nack, or
   * the request's *_resp, with `err.status`) and the connection stays up. `frame` is the PDU as read:
   * a response's header command_status, and what can be read of its body, stay usable.
   */
  onDecodeError(err: SmppDecodeError, frame: Buffer): void;
  /**
   * A known TLV whose length does not fit its type was kept raw (the PDU itself still goes to `onPdu`,
   * right after). Not called with `strictTlvs`. Default: nothing.
   */
  onMalformedTlv?(tlv: MalformedTlv): void;
  /** The socket closed; `err` is what closed it (a FramingError, a socket error), undefined when clean. */
  onClose(err: Error | undefined): void;
}

/** Options of {@link PduConnection}. */
export interface PduConnectionOptions {
  /** Largest PDU accepted, in octets; a longer one is a fatal framing error. Default 65536. */
  maxPduLength?: number;
  /** Label put in trace events as `session_id`. Default "". */
  label?: string;
  /** Trace hook seeing every PDU in and out with its hex (passwords masked). Default none. */
  trace?: PduTraceHook;
  /**
   * Refuse a known TLV whose length does not fit its type (ESME_RINVPARLEN, through `onDecodeError`)
   * instead of keeping it raw. Default false.
   */
  strictTlvs?: boolean;
}

/**
 * One SMPP connection over a connected `net.Socket` or `tls.TLSSocket`: frames and decodes what comes in,
 * encodes what goes out and writes it COALESCED — every PDU sent during one event-loop turn leaves in a
 * single `socket.write`, which is what lets a session pipeline 100k PDUs/s. Socket back-pressure is
 * honoured: while the socket asks to drain, PDUs wait here and {@link writable} is false.
 */
export class PduConnection {
  /** Local "ip:port", kept after the socket closes (for the admin view). */
  readonly localAddress: string;
  /** Remote "ip:port", kept after the socket closes. */
  readonly remoteAddress: string;
  /** Set or clear at any time. */
  trace: PduTraceHook | undefined;
  label: string;

  private readonly socket: Socket;
  private readonly handlers: PduConnectionHandlers;
  private readonly framer: Framer;
  private readonly decodeOptions: DecodeOptions;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private needDrain = false;
  private drainWaiters: Array<() => void> = [];
  private ended = false;
  private closed = false;
  private closeError: Error | undefined;
  private readonly closedPromise: Promise<void>;
  private readonly flushNow = () => this.flush();

  constructor(socket: Socket, handlers: PduConnectionHandlers, options: PduConnectionOptions = {}) {
    this.socket = socket;
    this.handlers = handlers;
    this.framer = new Framer({ maxLength: options.maxPduLength ?? 65536 });
    const onMalformed = handlers.onMalformedTlv?.bind(handlers);
    this.decodeOptions = {
      strictTlvs: options.strictTlvs === true,
      onMalformedTlv:
        onMalformed === undefined
          ? undefined
          : (tlv) => {
              try {
                onMalformed(tlv);
              } catch {
                // A failing report must not fail the PDU it is about.
              }
            },
    };
    this.trace = options.trace;
    this.label = options.label ?? "";
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    socket.setNoDelay(true);
    this.closedPromise = new Promise<void>((resolve) => {
      socket.once("close", () => {
        this.closed = true;
        this.releaseDrainWaiters();
        resolve();
        this.handlers.onClose(this.closeError);
      });
    });
    socket.on("error", (err) => {
      this.closeError ??= err;
    });
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("drain", () => {
      this.needDrain = false;
      if (this.pending.length > 0) this.flush();
      if (!this.needDrain) this.releaseDrainWaiters();
    });
  }

  /** False while the socket asks us to wait for 'drain' (or after close). */
  get writable(): boolean {
    return !this.needDrain && !this.ended && !this.closed;
  }

  /** True once the socket has closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves when {@link writable} is true again or the connection closed. */
  whenWritable(): Promise<void> {
    if (!this.needDrain || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /**
   * Encodes `pdu` and queues it for the write at the end of this event-loop turn. Silently dropped once
   * the connection is closing.
   * @throws SmppEncodeError when a field does not fit (nothing is queued then).
   */
  send(pdu: Pdu): void {
    const bytes = encodePdu(pdu);
    if (this.ended || this.closed) return;
    if (this.trace !== undefined) this.emitTrace("tx", bytes);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Writes what is queued, then half-closes (FIN); the peer's close completes it. */
  end(): void {
    if (this.ended || this.closed) return;
    this.needDrain = false;
    this.flush();
    this.ended = true;
    this.socket.end();
  }

  /** Closes at once, dropping anything unwritten. `err` is reported to `onClose`. */
  destroy(err?: Error): void {
    if (err !== undefined) this.closeError ??= err;
    this.ended = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.needDrain || this.pending.length === 0 || this.closed) return;
    const chunk =
      this.pending.length === 1
        ? (this.pending[0] as Buffer)
        : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.socket.write(chunk)) this.needDrain = true;
  }

  private receive(chunk: Buffer): void {
    let frames: readonly Buffer[];
    let fatal: Error | undefined;
    try {
      frames = this.framer.push(chunk);
    } catch (err) {
      // The PDUs completed before the bad length are sound: a response among them must settle its
      // request, or the submit comes back "outcome unknown" and is sent a second time.
      frames = err instanceof FramingError ? err.frames : [];
      fatal = err instanceof Error ? err : new FramingError(0, String(err));
    }
    for (const frame of frames) {
      if (this.closed) return;
      if (this.trace !== undefined) this.emitTrace("rx", frame);
      let pdu: Pdu;
      try {
        pdu = decodePdu(frame, this.decodeOptions);
      } catch (err) {
        if (err instanceof SmppDecodeError) {
          this.handlers.onDecodeError(err, frame);
          continue;
        }
        this.destroy(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.handlers.onPdu(pdu);
    }
    if (fatal !== undefined) this.destroy(fatal);
  }

  private emitTrace(direction: "tx" | "rx", frame: Buffer): void {
    const hook = this.trace;
    if (hook === undefined || frame.length < 16) return;
    const commandId = frame.readUInt32BE(4);
    try {
      hook({
        at: new Date().toISOString(),
        session_id: this.label,
        direction,
        command: commandName(commandId) ?? `0x${commandId.toString(16).padStart(8, "0")}`,
        command_id: commandId,
        sequence: frame.readUInt32BE(12),
        command_status: frame.readUInt32BE(8),
        hex: maskedFrame(frame).toString("hex"),
      });
    } catch {
      // A broken trace sink must not take the SMPP connection down with it.
    }
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function formatAddress(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return "";
  return address.includes(":") ? `[${address}]:${port ?? ""}` : `${address}:${port ?? ""}`;
}
