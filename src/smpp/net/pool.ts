import type { MalformedTlv } from "../tlv.js";
import { ClientSession, type ClientSessionOptions } from "./client-session.js";
import { NoSessionError, RequestAbortedError, SmppNetError } from "./errors.js";
import type { PduTraceHook } from "./pdu-connection.js";
import { TokenBucket } from "./token-bucket.js";
import type {
  BindMode,
  InboundHandler,
  SessionInfo,
  SessionState,
  SubmitSmBody,
  SubmitSmResp,
} from "./types.js";

/**
 * One upstream SMSC account as the pool needs it. Field names and units follow the upstream record of
 * the admin API, so that record can be passed as it is (extra fields are ignored).
 */
export interface UpstreamPoolConfig {
  /** Upstream id; session ids are `<id>#<n>`. */
  id: string;
  host: string;
  port: number;
  /** Wrap the connection in TLS (SMPPS). Default false. */
  tls?: boolean;
  /** PEM CA bundle to trust instead of the system store; null/absent: the system store. */
  tls_ca?: string | null;
  /** Name to check the certificate against (and send as SNI) when it differs from `host`. Default `host`. */
  tls_servername?: string | null;
  /** Skip certificate verification (test SMSCs only). Default false. */
  tls_insecure?: boolean;
  system_id: string;
  /** Never logged; masked in PDU traces. */
  password: string;
  /** Default "". */
  system_type?: string;
  /** Default `"transceiver"`. */
  bind_mode?: BindMode;
  /** Sessions kept bound with these credentials. Default 1. */
  sessions?: number;
  /** Outstanding requests per session. Default 10. */
  window?: number;
  /** Submits per second across all sessions; null/absent: unlimited. */
  max_tps?: number | null;
  /** Seconds without traffic before an enquire_link. Default 30. */
  enquire_link_interval?: number;
  /** Seconds to wait for each response. Default 10. */
  response_timeout?: number;
  /** false: keep no session. Default true. */
  enabled?: boolean;
}

/** Behaviour of the pool itself, fixed for its life. Times in milliseconds. */
export interface UpstreamPoolOptions {
  /** Longest {@link UpstreamPool.submit} waits for a bound session or a rate token before NoSessionError. Default 5000. */
  submitWaitMs?: number;
  /** After a reconfiguration, how long old sessions keep taking work while the new ones bind. Default 10000. */
  reconfigureGraceMs?: number;
  /** Longest a retiring session waits for its outstanding responses and unbind_resp. Default 5000. */
  closeTimeoutMs?: number;
  /** deliver_sm / data_sm of every session go here (answer only once stored). Default: acknowledged at once. */
  onInbound?: InboundHandler;
  /** PDU trace of every session (passwords masked). Default none; see {@link UpstreamPool.setTrace}. */
  trace?: PduTraceHook;
  /** Called on every session state change (logging, metrics). */
  onSessionState?: (sessionId: string, state: SessionState, lastError: Error | undefined) => void;
  /** Called when a session kept a malformed TLV raw, once per tag per connection (logging). */
  onMalformedTlv?: (sessionId: string, tlv: MalformedTlv) => void;
  /** Session settings not in the upstream record (backoffs, bind timeout, …), e.g. for tests. */
  session?: Partial<
    Omit<
      ClientSessionOptions,
      | "id"
      | "host"
      | "port"
      | "tls"
      | "systemId"
      | "password"
      | "systemType"
      | "bindMode"
      | "onInbound"
      | "trace"
    >
  >;
}

/** The queues a pooled session moves through; {@link UpstreamPool.move} is the only way between them. */
type Queue = "pending" | "bound" | "draining";

interface Member {
  session: ClientSession;
  /** The configuration generation it was made for. */
  generation: number;
  queue: Queue;
}

/**
 * The sessions of one upstream: `sessions` binds with the same credentials, each supervised (a session
 * reconnects itself until closed), work spread to the bound session with the most free window, the
 * total submit rate capped by a token bucket, and live reconfiguration that binds new sessions while the
 * old ones drain, so no request in flight is lost.
 *
 * Sessions live in named queues — pending (connecting, binding, backoff), bound, draining — and one
 * function, {@link move}, moves them (as porsager/postgres does with its connections).
 */
export class UpstreamPool {
  private config: UpstreamPoolConfig;
  private readonly options: UpstreamPoolOptions;
  private readonly queues: Record<Queue, Member[]> = { pending: [], bound: [], draining: [] };
  private readonly draining = new Set<Promise<void>>();
  private generation = 0;
  private connectionKey = "";
  private sessionCounter = 0;
  private bucket: TokenBucket | undefined;
  private rotate = 0;
  private boundWaiters: Array<() => void> = [];
  private graceTimer: NodeJS.Timeout | undefined;
  private traceHook: PduTraceHook | undefined;
  private inbound: InboundHandler | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(config: UpstreamPoolConfig, options: UpstreamPoolOptions = {}) {
    this.config = config;
    this.options = options;
    this.traceHook = options.trace;
    this.inbound = options.onInbound;
  }

  get id(): string {
    return this.config.id;
  }

  /** Sessions bound right now. */
  get boundCount(): number {
    return this.queues.bound.length;
  }

  /** Starts the sessions of the configuration given to the constructor. */
  start(): void {
    if (this.generation === 0 && !this.closed) this.adopt(this.config);
  }

  /**
   * Adopts a new configuration live. Credentials, address, TLS, bind mode, window or timers changed:
   * a new set of sessions binds while the old ones keep working, and the old ones are drained (their
   * outstanding requests answered, then unbind) once a new one is bound or `reconfigureGraceMs` passed.
   * Only the session count or max_tps changed: sessions are added or drained, the rate is changed.
   * Resolves once adopted, not when bound.
   */
  async reconfigure(config: UpstreamPoolConfig): Promise<void> {
    if (this.closed) return;
    this.config = config;
    this.adopt(config);
  }

  /**
   * Sends a submit_sm on the bound session with the most free window and resolves with its
   * submit_sm_resp. Waits at most `waitMs` (default `submitWaitMs`) for a rate token and a bound session,
   * then fails with NoSessionError. A request that was never written (its session went away while it
   * waited) is tried on another session; everything else comes back as the session reported it
   * (SmppStatusError with a retry class, ResponseTimeoutError, SessionClosedError — see ClientSession).
   * Once `signal` fires the submit is no longer written, on any session (RequestAbortedError).
   */
  async submit(
    body: SubmitSmBody,
    waitMs = this.options.submitWaitMs ?? 5000,
    signal?: AbortSignal,
  ): Promise<SubmitSmResp> {
    if (this.closed) throw new NoSessionError(`upstream ${this.config.id} is closed`);
    const deadline = performance.now() + waitMs;
    const bucket = this.bucket;
    if (bucket !== undefined && !bucket.tryTake() && !(await bucket.take(waitMs))) {
      throw new NoSessionError(`upstream ${this.config.id}: no send slot under max_tps within ${waitMs} ms`);
    }
    for (let attempt = 0; ; attempt++) {
      const session = this.pick() ?? (await this.waitForBound(deadline));
      try {
        return await session.submit(body, signal);
      } catch (err) {
        const unsent = err instanceof SmppNetError && !err.outcomeUnknown;
        if (!unsent || err instanceof RequestAbortedError || this.closed) throw err;
        if (attempt >= 3 || performance.now() >= deadline) throw err;
      }
    }
  }

  /** Every session of the upstream, draining ones included, in the shape of the admin API. */
  sessionsInfo(): SessionInfo[] {
    const all = [...this.queues.bound, ...this.queues.pending, ...this.queues.draining];
    all.sort((a, b) => sessionNumber(a.session.id) - sessionNumber(b.session.id));
    return all.map((m) => m.session.info());
  }

  /** Turns the PDU trace of every session (and of sessions made later) on, or off with undefined. */
  setTrace(hook: PduTraceHook | undefined): void {
    this.traceHook = hook;
    for (const m of this.members()) m.session.trace = hook;
  }

  /** Replaces the deliver_sm / data_sm handler of every session. */
  setInboundHandler(handler: InboundHandler | undefined): void {
    this.inbound = handler;
    for (const m of this.members()) m.session.onInbound = handler;
  }

  /** Resolves when at least one session is bound; rejects with NoSessionError after `timeoutMs`. */
  async whenBound(timeoutMs: number): Promise<void> {
    if (this.queues.bound.length > 0) return;
    await this.waitForBound(performance.now() + timeoutMs);
  }

  /** Unbinds every session (gracefully, bounded) and stops. Later submits fail with NoSessionError. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
      this.bucket?.close();
      for (const m of [...this.queues.pending, ...this.queues.bound]) this.drain(m);
      this.wakeBoundWaiters();
      while (this.draining.size > 0) await Promise.all([...this.draining]);
    })();
    return this.closing;
  }

  // ---- configuration -----------------------------------------------------------------------------

  private adopt(config: UpstreamPoolConfig): void {
    this.setRate(config.max_tps ?? null);
    if (config.enabled === false) {
      this.connectionKey = "";
      for (const m of [...this.queues.pending, ...this.queues.bound]) this.drain(m);
      return;
    }
    const key = connectionKeyOf(config);
    const wanted = Math.max(1, config.sessions ?? 1);
    if (key === this.connectionKey) {
      this.resize(wanted);
      return;
    }
    // New connection settings: a new generation binds; the current one retires once it has.
    this.connectionKey = key;
    const generation = ++this.generation;
    for (let i = 0; i < wanted; i++) this.addSession(config, generation);
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(
      () => this.retireOldGenerations(),
      this.options.reconfigureGraceMs ?? 10_000,
    );
    this.graceTimer.unref();
  }

  private resize(wanted: number): void {
    const live = [...this.queues.pending, ...this.queues.bound].filter(
      (m) => m.generation === this.generation,
    );
    for (let i = live.length; i < wanted; i++) this.addSession(this.config, this.generation);
    if (live.length <= wanted) return;
    // Shed the least useful first: not bound, then bound with the least in flight.
    live.sort((a, b) => rank(a) - rank(b));
    for (const m of live.slice(0, live.length - wanted)) this.drain(m);
  }

  private setRate(maxTps: number | null): void {
    if (maxTps === null || maxTps <= 0) {
      this.bucket?.close();
      this.bucket = undefined;
    } else if (this.bucket === undefined) {
      this.bucket = new TokenBucket({ rate: maxTps });
    } else if (this.bucket.ratePerSecond !== maxTps) {
      this.bucket.setRate(maxTps);
    }
  }

  private addSession(config: UpstreamPoolConfig, generation: number): void {
    const id = `${config.id}#${++this.sessionCounter}`;
    const session = new ClientSession({
      ...this.options.session,
      id,
      host: config.host,
      port: config.port,
      tls: config.tls
        ? {
            ca: config.tls_ca ?? undefined,
            servername: config.tls_servername ?? undefined,
            insecureSkipVerify: config.tls_insecure === true,
          }
        : undefined,
      systemId: config.system_id,
      password: config.password,
      systemType: config.system_type ?? "",
      bindMode: config.bind_mode ?? "transceiver",
      window: config.window ?? 10,
      responseTimeoutMs: (config.response_timeout ?? 10) * 1000,
      enquireLinkIntervalMs: (config.enquire_link_interval ?? 30) * 1000,
      onInbound: this.inbound,
      trace: this.traceHook,
    });
    const member: Member = { session, generation, queue: "pending" };
    this.queues.pending.push(member);
    session.on("state", (state, err) => this.onSessionState(member, state, err));
    session.on("malformedTlv", (tlv) => this.options.onMalformedTlv?.(id, tlv));
    session.start();
  }

  private onSessionState(member: Member, state: SessionState, err: Error | undefined): void {
    this.options.onSessionState?.(member.session.id, state, err);
    if (member.queue === "draining") return;
    if (state === "bound") {
      this.move(member, "bound");
      if (member.generation === this.generation) this.retireOldGenerations();
      this.wakeBoundWaiters();
    } else {
      this.move(member, "pending");
    }
  }

  /** Old-generation sessions stop taking work and drain. */
  private retireOldGenerations(): void {
    for (const m of [...this.queues.pending, ...this.queues.bound]) {
      if (m.generation !== this.generation) this.drain(m);
    }
  }

  private drain(member: Member): void {
    if (member.queue === "draining") return;
    this.move(member, "draining");
    const done = member.session.close(this.options.closeTimeoutMs ?? 5000).then(() => {
      this.draining.delete(done);
      this.remove(member);
    });
    this.draining.add(done);
  }

  /** The one place a session changes queue. */
  private move(member: Member, to: Queue): void {
    if (member.queue === to) return;
    this.remove(member);
    member.queue = to;
    this.queues[to].push(member);
  }

  private remove(member: Member): void {
    const queue = this.queues[member.queue];
    const i = queue.indexOf(member);
    if (i >= 0) queue.splice(i, 1);
  }

  private members(): Member[] {
    return [...this.queues.pending, ...this.queues.bound, ...this.queues.draining];
  }

  // ---- choosing a session ------------------------------------------------------------------------

  /** The bound session with the most free window (unpaused first); ties taken in turn. */
  private pick(): ClientSession | undefined {
    const bound = this.queues.bound;
    const n = bound.length;
    if (n === 0) return undefined;
    if (n === 1) return bound[0]?.session;
    const start = this.rotate++ % n;
    let best: ClientSession | undefined;
    let bestScore = -2;
    for (let k = 0; k < n; k++) {
      const session = (bound[(start + k) % n] as Member).session;
      const score = session.paused ? -1 : session.freeWindow;
      if (score > bestScore) {
        best = session;
        bestScore = score;
      }
    }
    return best;
  }

  private waitForBound(deadline: number): Promise<ClientSession> {
    return new Promise<ClientSession>((resolve, reject) => {
      const attempt = () => {
        if (this.closed) {
          finish();
          reject(new NoSessionError(`upstream ${this.config.id} is closed`));
          return;
        }
        const session = this.pick();
        if (session !== undefined) {
          finish();
          resolve(session);
          return;
        }
        this.boundWaiters.push(attempt);
      };
      const finish = () => clearTimeout(timer);
      const waitMs = Math.max(0, deadline - performance.now());
      const timer = setTimeout(() => {
        const i = this.boundWaiters.indexOf(attempt);
        if (i >= 0) this.boundWaiters.splice(i, 1);
        reject(
          new NoSessionError(`upstream ${this.config.id}: no bound session within ${Math.round(waitMs)} ms`),
        );
      }, waitMs);
      timer.unref();
      attempt();
    });
  }

  private wakeBoundWaiters(): void {
    const waiters = this.boundWaiters;
    if (waiters.length === 0) return;
    this.boundWaiters = [];
    for (const attempt of waiters) attempt();
  }
}

/** What forces new sessions when it changes: anything the connection or bind is made from. */
function connectionKeyOf(c: UpstreamPoolConfig): string {
  return JSON.stringify([
    c.host,
    c.port,
    c.tls ?? false,
    c.tls_ca ?? null,
    c.tls_servername ?? null,
    c.tls_insecure ?? false,
    c.system_id,
    c.password,
    c.system_type ?? "",
    c.bind_mode ?? "transceiver",
    c.window ?? 10,
    c.enquire_link_interval ?? 30,
    c.response_timeout ?? 10,
  ]);
}

function rank(m: Member): number {
  return m.queue === "bound" ? 1 + m.session.inFlight : 0;
}

function sessionNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf("#") + 1));
}
