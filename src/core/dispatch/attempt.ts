/**
 * One dispatch attempt of one message, from a claimed row to a {@link DispatchResult} for the result
 * writer: route, plan the submits for the chosen upstream, send every part through its pool (parts in
 * parallel, so a long message takes one round trip, not five), classify what came back. Nothing here
 * writes to the database; the attempt is pure with respect to storage, which is what lets the writer
 * batch thousands of them into one transaction.
 */
import { SmppEncodeError } from "../../smpp/errors.js";
import { SmppNetError } from "../../smpp/net/errors.js";
import type { SubmitSmResp } from "../../smpp/net/types.js";
import { SmppStatusError } from "../../smpp/status.js";
import type { MessagePartRow, MessageRow } from "../messages/sink.js";
import { decideOutcome } from "../results/outcome.js";
import type { DispatchResult, SubmittedPart } from "../results/writer.js";
import type { RouteTable } from "../routing.js";
import { type PlannedPart, planSubmits } from "../submit/build.js";
import type { UpstreamConfig } from "../upstream-runtime.js";
import { classifySubmitError, isThrottle } from "./retry.js";
import type { UnsettledGate, UnsettledPermit } from "./unsettled.js";

/** What an attempt needs of a live upstream: its settings and a way to send a submit_sm. */
export interface SubmitTarget {
  readonly config: UpstreamConfig;
  /**
   * Sends one submit_sm (`waitMs`: the pool's own default). Once `signal` fires (the attempt gave the
   * part up) it must not be written any more: a submit written after its attempt was stored as a retry
   * is sent twice.
   */
  readonly pool: {
    submit(body: PlannedPart["body"], waitMs?: number, signal?: AbortSignal): Promise<SubmitSmResp>;
  };
}

export interface AttemptDeps {
  routes: Pick<RouteTable, "ready" | "resolve" | "invalidate">;
  /** The live upstream by id; undefined when it does not run here (deleted, never loaded). */
  upstream(id: string): SubmitTarget | undefined;
  /**
   * Sends again at once a part the SMSC throttled (the session paused itself first), at most this many
   * times per part and attempt; past it the part is retried with back-off, not counted (retry.ts).
   */
  maxThrottleResends: number;
  /** Whether the dispatcher is stopping: throttled parts are then not sent again from memory. */
  stopping(): boolean;
  /** Wall clock (validity left is computed from it). */
  now(): Date;
  /**
   * Longest one part's submit may take, waits and throttle resends included; ms. Then it is not sent
   * again, a submit not yet written is called off (not counted: nothing reached the SMSC), and the one
   * in hand ends as it ends: an answer, or the session's response timeout. A submit that has not
   * settled {@link ABANDON_GRACE_MS} later (at most this long again) is given up as an unknown
   * outcome (retried, counted): a message must never stay held (and its lease renewed) for ever.
   */
  partTimeoutMs: number;
  /**
   * The upstream's gate on parts submitted but not yet committed (see unsettled.ts): the attempt takes
   * a permit per part before any is sent, and hands the ones still held to the result writer in
   * {@link DispatchResult.permit}. Absent: no gate (the crash bound is then only the window's).
   */
  unsettled?(upstreamId: string): UnsettledGate;
  /**
   * Told of each SMSC id a part got (submit_sm_resp ESME_ROK) the moment it comes, so a receipt that
   * outruns the result's commit can wait for it (results/pending-ids.ts). Not told of a part already
   * given up: its result will never carry that id.
   */
  accepted?(messageId: string, upstreamId: string, smscMessageId: string): void;
}

/** Runs one attempt. Never rejects: every failure is a decision in the result. */
export async function runAttempt(
  deps: AttemptDeps,
  message: MessageRow,
  parts: readonly MessagePartRow[],
): Promise<DispatchResult> {
  const base = { message, parts, submitted: [], replace: null };
  const now = deps.now();
  if (message.expiresAt !== null && message.expiresAt.getTime() <= now.getTime()) {
    const text = "The validity period ended before the message could be sent.";
    return { ...base, upstreamId: null, decision: fail("RETRIES_EXHAUSTED", text) };
  }

  await deps.routes.ready();
  let choice = deps.routes.resolve(message.accountId, message.to);
  if (choice.kind === "no_route") {
    // A route created a moment ago on another instance (or through an admin call this table missed):
    // one reload before failing the message for good.
    deps.routes.invalidate();
    await deps.routes.ready();
    choice = deps.routes.resolve(message.accountId, message.to);
  }
  if (choice.kind === "no_route") {
    const text = `No route matches ${message.to}.`;
    return { ...base, upstreamId: null, decision: fail("NO_ROUTE", text) };
  }

  const target = deps.upstream(choice.upstreamId);
  if (target === undefined) {
    const text = `Upstream ${choice.upstreamId} of route ${choice.routeId} is not running.`;
    return { ...base, upstreamId: null, decision: retryUncounted(text) };
  }

  let plan: ReturnType<typeof planSubmits>;
  try {
    plan = planSubmits(message, parts, target.config, now);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ...base, upstreamId: choice.upstreamId, decision: fail("INVALID_MESSAGE", text) };
  }

  let permit: UnsettledPermit | undefined;
  const gate = plan.send.length > 0 ? deps.unsettled?.(choice.upstreamId) : undefined;
  if (gate !== undefined) {
    // Checked right before the (synchronous) enqueue at the gate, so a stop either comes first and is
    // seen here, or comes after and cancels the wait.
    if (deps.stopping()) return { ...base, upstreamId: choice.upstreamId, decision: notSentStopping() };
    if (!choice.bound) {
      // No upstream of the route has a bound session: a message may wait in the pool for a bind (a
      // reconnect is usually quick), but not in line at the gate. Queued there, each one held a
      // dispatch slot for the pool's wait times every message ahead of it, and a backlog for an
      // upstream that is down or disabled took every slot: traffic to every other upstream stopped.
      permit = gate.tryAcquire(plan.send.length);
      if (permit === undefined) {
        const text = `No session of upstream ${choice.upstreamId} (route ${choice.routeId}) is bound.`;
        return { ...base, upstreamId: choice.upstreamId, decision: retryUncounted(text) };
      }
    } else {
      permit = await gate.acquire(plan.send.length);
      if (permit === undefined)
        return { ...base, upstreamId: choice.upstreamId, decision: notSentStopping() };
    }
  }
  const upstreamId = choice.upstreamId;
  const accepted = (smscMessageId: string) => deps.accepted?.(message.id, upstreamId, smscMessageId);
  try {
    const submitted = await Promise.all(
      plan.send.map((planned) => submitPart(deps, target, planned, permit, accepted)),
    );
    const replace = plan.replace ? { total: plan.total } : null;
    return {
      message,
      parts,
      upstreamId: choice.upstreamId,
      submitted,
      replace,
      decision: decideOutcome(submitted.map((s) => s.result)),
      ...(permit !== undefined && { permit }),
    };
  } catch (error) {
    // Not expected (every submit failure is a result); a permit must not leak out of the gate for good.
    permit?.release();
    throw error;
  }
}

/** How long a part past its timeout may still settle before it is given up as an unknown outcome; ms. */
export const ABANDON_GRACE_MS = 30_000;

async function submitPart(
  deps: AttemptDeps,
  target: SubmitTarget,
  planned: PlannedPart,
  permit: UnsettledPermit | undefined,
  accepted: (smscMessageId: string) => void,
): Promise<SubmittedPart> {
  // Giving the part up must reach the sending loop: left running, it went on resending throttled
  // submits after the attempt was stored as a retry, and an OK then came on top of the retry's.
  const abandon = new AbortController();
  const state = { givenUp: false };
  const sending = sendPart(deps, target, planned, permit, accepted, abandon.signal, state);
  let timer: NodeJS.Timeout | undefined;
  const after = (ms: number) =>
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
      timer.unref();
    });
  try {
    const done = await Promise.race([sending, after(deps.partTimeoutMs)]);
    if (done !== undefined) return done;
    // Time is up: no more resends, and a submit still waiting to be written (a paused or full session)
    // is called off. What is in hand settles soon: its answer counts, even now.
    abandon.abort();
    clearTimeout(timer);
    const settled = await Promise.race([sending, after(Math.min(ABANDON_GRACE_MS, deps.partTimeoutMs))]);
    if (settled !== undefined) return settled;
    state.givenUp = true;
    const message = `no outcome for part ${planned.index} within ${deps.partTimeoutMs} ms`;
    const failure = { kind: "retry" as const, counted: true, status: null, message };
    return { planned, result: { index: planned.index, ok: false, failure } };
  } finally {
    clearTimeout(timer);
  }
}

async function sendPart(
  deps: AttemptDeps,
  target: SubmitTarget,
  planned: PlannedPart,
  permit: UnsettledPermit | undefined,
  accepted: (smscMessageId: string) => void,
  abandoned: AbortSignal,
  state: { givenUp: boolean },
): Promise<SubmittedPart> {
  // Taken before the first submit_sm: any receipt for this part comes after it (receipts/unmatched.ts).
  const sentAt = deps.now();
  // Throttled resends keep the part's permit: the part stays unsettled until its outcome is committed.
  for (let resend = 0; ; resend++) {
    try {
      const resp = await target.pool.submit(planned.body, undefined, abandoned);
      // Given up already, the part is a retry: its id would wait for a result that never names it.
      if (!state.givenUp) accepted(resp.message_id);
      const result = { index: planned.index, ok: true as const, smscMessageId: resp.message_id, sentAt };
      return { planned, result };
    } catch (error) {
      const again = resend < deps.maxThrottleResends && !deps.stopping() && !abandoned.aborted;
      if (again && isThrottle(error)) continue;
      // The SMSC did not take this part: nothing to send twice after a crash, so its permit is free now.
      if (knownNotAccepted(error)) permit?.release(1);
      return { planned, result: { index: planned.index, ok: false, failure: classifySubmitError(error) } };
    }
  }
}

/**
 * True when the part certainly is not at the SMSC: it answered with an error status, or the request was
 * never written (no session, no window room), or it could not be encoded.
 */
function knownNotAccepted(error: unknown): boolean {
  if (error instanceof SmppStatusError || error instanceof SmppEncodeError) return true;
  return error instanceof SmppNetError && !error.outcomeUnknown;
}

function notSentStopping(): DispatchResult["decision"] {
  return retryUncounted("The dispatcher stopped before the message was sent.");
}

function fail(code: string, message: string): DispatchResult["decision"] {
  return { kind: "failed", code, message, smppStatus: null };
}

function retryUncounted(message: string): DispatchResult["decision"] {
  return { kind: "retry", counted: false, message, smppStatus: null };
}
