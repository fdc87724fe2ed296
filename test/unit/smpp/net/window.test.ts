import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  ResponseTimeoutError,
  SessionClosedError,
  WindowWaitTimeoutError,
} from "../../../../src/smpp/net/errors.js";
import { MAX_SEQUENCE, Window } from "../../../../src/smpp/net/window.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function makeWindow(size: number, initialSequence?: number): Window<string> {
  return new Window<string>({ size, sweepIntervalMs: 10, now: () => Date.now(), initialSequence });
}

describe("sequence numbers", () => {
  test("start at 1 and count up", () => {
    const w = makeWindow(2);
    expect([w.nextSequence(), w.nextSequence(), w.nextSequence()]).toEqual([1, 2, 3]);
  });

  test("wrap after 0x7FFFFFFF to 1, skipping numbers still outstanding", async () => {
    const w = makeWindow(5, MAX_SEQUENCE - 2);
    expect(w.nextSequence()).toBe(MAX_SEQUENCE - 1);
    expect(w.nextSequence()).toBe(MAX_SEQUENCE);
    // 1 and 2 are still in the window from an earlier lap.
    const one = w.track(1, "submit_sm", 1000, false);
    const two = w.track(2, "submit_sm", 1000, false);
    expect(w.nextSequence()).toBe(3);
    w.resolve(1, "a");
    w.resolve(2, "b");
    await expect(Promise.all([one, two])).resolves.toEqual(["a", "b"]);
  });
});

describe("slots", () => {
  test("tryAcquire refuses when full; acquire waits and is served in FIFO order", async () => {
    const w = makeWindow(1);
    expect(w.tryAcquire()).toBe(true);
    expect(w.tryAcquire()).toBe(false);
    const seq = w.nextSequence();
    const response = w.track(seq, "submit_sm", 1000, true);
    const order: string[] = [];
    const first = w.acquire(1000).then(() => order.push("first"));
    const second = w.acquire(1000).then(() => order.push("second"));
    expect(w.waiting).toBe(2);
    expect(w.free).toBe(0);
    w.resolve(seq, "resp");
    await expect(response).resolves.toBe("resp");
    await first;
    expect(order).toEqual(["first"]);
    expect(w.inFlight).toBe(1);
    w.release();
    await second;
    expect(order).toEqual(["first", "second"]);
  });

  test("a waiter that gets no room in time fails with a retryable WindowWaitTimeoutError", async () => {
    const w = makeWindow(1);
    expect(w.tryAcquire()).toBe(true);
    const waiting = w.acquire(50);
    const caught = waiting.catch((err: unknown) => err);
    vi.advanceTimersByTime(100);
    const err = await caught;
    expect(err).toBeInstanceOf(WindowWaitTimeoutError);
    expect(err).toMatchObject({ retryable: true, outcomeUnknown: false });
    expect(w.waiting).toBe(0);
    // The slot that was never granted is not leaked.
    expect(w.inFlight).toBe(1);
  });

  test("requests tracked without a slot do not count against the size", async () => {
    const w = makeWindow(1);
    expect(w.tryAcquire()).toBe(true);
    const a = w.track(w.nextSequence(), "submit_sm", 1000, true).catch(() => "closed");
    const b = w.track(w.nextSequence(), "enquire_link", 1000, false).catch(() => "closed");
    expect(w.inFlight).toBe(1);
    expect(w.outstanding).toBe(2);
    w.close("test over");
    await expect(Promise.all([a, b])).resolves.toEqual(["closed", "closed"]);
  });
});

describe("timeouts", () => {
  test("each request times out on its own deadline and gives its slot back", async () => {
    const w = makeWindow(2);
    expect(w.tryAcquire()).toBe(true);
    expect(w.tryAcquire()).toBe(true);
    const short = w.track(w.nextSequence(), "submit_sm", 100, true).catch((e: unknown) => e);
    const long = w.track(w.nextSequence(), "submit_sm", 1000, true);
    vi.advanceTimersByTime(200);
    const err = await short;
    expect(err).toBeInstanceOf(ResponseTimeoutError);
    expect(err).toMatchObject({ command: "submit_sm", sequenceNumber: 1, outcomeUnknown: true });
    expect(w.outstanding).toBe(1);
    expect(w.inFlight).toBe(1);
    expect(w.resolve(2, "late but in time")).toBe(true);
    await expect(long).resolves.toBe("late but in time");
    expect(w.resolve(1, "too late")).toBe(false);
  });

  test("a request tracked after the window sat idle gets its whole timeout, not what is left of a stale clock", async () => {
    // The sweep timer stops while nothing is outstanding (a throttling pause, a quiet link). The first
    // request after it once took its deadline from the clock of the last sweep, so after an idle spell
    // as long as its timeout it expired at the next sweep, answered or not: a submit the SMSC accepted
    // was then retried as an unknown outcome and sent twice (issue 5, throttling at 30/s).
    const w = makeWindow(1);
    const first = w.track(w.nextSequence(), "submit_sm", 1000, false);
    vi.advanceTimersByTime(20);
    w.resolve(1, "ok");
    await first;
    vi.advanceTimersByTime(20); // the sweep finds the window idle and stops
    vi.advanceTimersByTime(10_000); // idle, no sweep runs
    const next = w.track(w.nextSequence(), "submit_sm", 1000, false);
    vi.advanceTimersByTime(500);
    expect(w.outstanding).toBe(1);
    expect(w.resolve(2, "in time")).toBe(true);
    await expect(next).resolves.toBe("in time");
  });
});

describe("closing", () => {
  test("rejectAll fails sent requests as outcome-unknown and waiters as not sent; the window stays usable", async () => {
    const w = makeWindow(1);
    expect(w.tryAcquire()).toBe(true);
    const sent = w.track(w.nextSequence(), "submit_sm", 1000, true).catch((e: unknown) => e);
    const waiter = w.acquire(1000).catch((e: unknown) => e);
    w.rejectAll("connection lost");
    const [sentErr, waiterErr] = await Promise.all([sent, waiter]);
    expect(sentErr).toBeInstanceOf(SessionClosedError);
    expect(sentErr).toMatchObject({ retryable: true, outcomeUnknown: true, message: "connection lost" });
    expect(waiterErr).toBeInstanceOf(SessionClosedError);
    expect(waiterErr).toMatchObject({ retryable: true, outcomeUnknown: false });
    expect(w.inFlight).toBe(0);
    expect(w.tryAcquire()).toBe(true);
  });

  test("close refuses every later acquire and track", async () => {
    const w = makeWindow(1);
    w.close("closed by test");
    expect(w.tryAcquire()).toBe(false);
    await expect(w.acquire(10)).rejects.toBeInstanceOf(SessionClosedError);
    await expect(w.track(1, "unbind", 10, false)).rejects.toBeInstanceOf(SessionClosedError);
  });

  test("drain resolves true once nothing is outstanding, false when time runs out", async () => {
    const w = makeWindow(2);
    await expect(w.drain(10)).resolves.toBe(true);
    const seq = w.nextSequence();
    const pending = w.track(seq, "submit_sm", 10_000, false);
    const drained = w.drain(1000);
    w.resolve(seq, "ok");
    await pending;
    await expect(drained).resolves.toBe(true);
    void w.track(w.nextSequence(), "submit_sm", 10_000, false).catch(() => undefined);
    const notDrained = w.drain(50);
    vi.advanceTimersByTime(60);
    await expect(notDrained).resolves.toBe(false);
    w.close("done");
  });
});
