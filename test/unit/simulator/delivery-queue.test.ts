import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  ANY_SYSTEM_ID,
  type DeliverSmBody,
  type DeliveryEvent,
  DeliveryQueue,
  type DeliveryTarget,
} from "../../../src/simulator/delivery-queue.js";
import { deliverSm } from "../../helpers/deliver-sm.js";

function body(text: string): DeliverSmBody {
  return deliverSm({
    sequence_number: 0,
    source_addr: "447700900001",
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: "1234",
    short_message: Buffer.from(text),
  });
}

/** A target whose responses the test decides, one by one. */
class FakeTarget implements DeliveryTarget {
  readonly received: string[] = [];
  private readonly pending: {
    resolve: (r: { command_status: number }) => void;
    reject: (e: Error) => void;
  }[] = [];
  constructor(private readonly slots: number) {}
  get freeSlots(): number {
    return this.slots - this.pending.length;
  }
  deliver(b: DeliverSmBody): Promise<{ command_status: number }> {
    this.received.push(b.short_message.toString());
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  async answer(status: number): Promise<void> {
    this.pending.shift()?.resolve({ command_status: status });
    await Promise.resolve();
    await Promise.resolve();
  }
  async fail(): Promise<void> {
    this.pending.shift()?.reject(new Error("timeout"));
    await Promise.resolve();
    await Promise.resolve();
  }
}

describe("DeliveryQueue", () => {
  let events: string[];
  let queue: DeliveryQueue;
  beforeEach(() => {
    vi.useFakeTimers();
    events = [];
    queue = new DeliveryQueue({
      limit: 3,
      maxAttempts: 2,
      retryDelayMs: 1000,
      onEvent: (kind, event: DeliveryEvent) => events.push(`${kind}:${event}`),
    });
  });
  afterEach(() => {
    queue.close();
    vi.useRealTimers();
  });

  test("holds items while nobody is bound, then delivers them in order", () => {
    queue.enqueue("acme", "mo", body("a"));
    queue.enqueue("acme", "mo", body("b"));
    expect(queue.held("acme")).toBe(2);
    const other = new FakeTarget(10);
    queue.addTarget("other", other);
    expect(other.received).toEqual([]);
    const t = new FakeTarget(10);
    queue.addTarget("acme", t);
    expect(t.received).toEqual(["a", "b"]);
    expect(queue.held()).toBe(0);
  });

  test("spreads over targets round-robin and respects free slots", async () => {
    const a = new FakeTarget(1);
    const b = new FakeTarget(1);
    queue.addTarget("acme", a);
    queue.addTarget("acme", b);
    queue.enqueue("acme", "receipt", body("1"));
    queue.enqueue("acme", "receipt", body("2"));
    queue.enqueue("acme", "receipt", body("3"));
    expect([a.received, b.received]).toEqual([["1"], ["2"]]);
    expect(queue.held("acme")).toBe(1);
    await b.answer(0);
    expect(b.received).toEqual(["2", "3"]);
    expect(events.filter((e) => e === "receipt:acked")).toHaveLength(1);
  });

  test("retries ESME_RX_T_APPN and missing answers after the delay, then gives up", async () => {
    const t = new FakeTarget(5);
    queue.addTarget("acme", t);
    queue.enqueue("acme", "mo", body("x"));
    await t.answer(0x64);
    expect(t.received).toEqual(["x"]);
    vi.advanceTimersByTime(1000);
    expect(t.received).toEqual(["x", "x"]);
    await t.fail();
    vi.advanceTimersByTime(5000);
    expect(t.received).toEqual(["x", "x"]);
    expect(events).toEqual(["mo:sent", "mo:retry", "mo:sent", "mo:expired"]);
  });

  test("a permanent error is not retried", async () => {
    const t = new FakeTarget(5);
    queue.addTarget("acme", t);
    queue.enqueue("acme", "mo", body("x"));
    await t.answer(0x65);
    vi.advanceTimersByTime(5000);
    expect(t.received).toEqual(["x"]);
    expect(events).toEqual(["mo:sent", "mo:rejected"]);
  });

  test("a full inbox drops the oldest", () => {
    for (const s of ["1", "2", "3", "4"]) queue.enqueue("acme", "mo", body(s));
    expect(events).toEqual(["mo:dropped"]);
    const t = new FakeTarget(10);
    queue.addTarget("acme", t);
    expect(t.received).toEqual(["2", "3", "4"]);
  });

  test("the shared key goes to any receiver; a removed target gets nothing", () => {
    const gone = new FakeTarget(10);
    queue.addTarget("x", gone);
    queue.removeTarget("x", gone);
    queue.enqueue(ANY_SYSTEM_ID, "mo", body("hi"));
    expect(gone.received).toEqual([]);
    const t = new FakeTarget(10);
    queue.addTarget("y", t);
    expect(t.received).toEqual(["hi"]);
  });
});
