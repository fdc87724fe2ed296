import { describe, expect, it } from "vitest";
import { GateScheduler, held } from "../../../../src/core/webhooks/worker/gates.js";

describe("GateScheduler", () => {
  it("caps each gate at its concurrency and takes gates in turn", () => {
    const gates = new GateScheduler<string>(() => 2);
    for (let i = 0; i < 5; i++) gates.add("slow", `s${i}`);
    for (let i = 0; i < 3; i++) gates.add("fast", `f${i}`);
    const started: string[] = [];
    for (let next = gates.next(); next !== undefined; next = gates.next()) started.push(next.item);
    expect(started).toEqual(["s0", "f0", "s1", "f1"]);
    expect(gates.size).toBe(8);
    const slow = gates.get("slow");
    expect(slow === undefined ? -1 : held(slow)).toBe(5);
    expect([...gates.all()].map((gate) => [gate.key, held(gate)])).toEqual([
      ["slow", 5],
      ["fast", 3],
    ]);
  });

  it("hands a freed slot to the gate that finished, and forgets empty gates", () => {
    const gates = new GateScheduler<string>(() => 1);
    gates.add("a", "a0");
    gates.add("a", "a1");
    const first = gates.next();
    expect(first?.item).toBe("a0");
    expect(gates.next()).toBeUndefined();
    if (first === undefined) throw new Error("no item");
    gates.done(first.gate);
    const second = gates.next();
    expect(second?.item).toBe("a1");
    if (second === undefined) throw new Error("no item");
    gates.done(second.gate);
    expect(gates.size).toBe(0);
    expect(gates.get("a")).toBeUndefined();
    expect([...gates.all()]).toEqual([]);
  });

  it("drops what a gate has queued (not what it is sending)", () => {
    const gates = new GateScheduler<string>(() => 1);
    for (const item of ["x0", "x1", "x2"]) gates.add("x", item);
    gates.add("y", "y0");
    expect(gates.next()?.item).toBe("x0");
    expect(gates.dropQueued("x")).toEqual(["x1", "x2"]);
    expect(gates.next()?.item).toBe("y0");
    expect(gates.next()).toBeUndefined();
    expect(gates.size).toBe(2);
    expect(gates.dropAllQueued()).toEqual([]);
  });

  it("removes chosen queued items of one gate, keeping the rest in order and the counts right", () => {
    const gates = new GateScheduler<string>(() => 1);
    for (const item of ["x0", "x1", "x2", "x3"]) gates.add("x", item);
    expect(gates.next()?.item).toBe("x0");
    expect(gates.removeQueued("x", (item) => item === "x2")).toBe(1);
    expect(gates.size).toBe(3);
    expect(gates.removeQueued("x", (item) => item === "x0")).toBe(0); // sending, not queued
    expect(gates.removeQueued("x", () => true)).toBe(2);
    expect(gates.size).toBe(1);
    expect(gates.next()).toBeUndefined();
    expect(gates.removeQueued("nothing", () => true)).toBe(0);
  });

  it("asks each gate's limit whenever it picks, so a limit can change between picks", () => {
    const limits = new Map([["a", 1]]);
    const gates = new GateScheduler<string>((key) => limits.get(key) ?? 0);
    for (const item of ["a0", "a1", "a2"]) gates.add("a", item);
    expect(gates.next()?.item).toBe("a0");
    expect(gates.next()).toBeUndefined();
    limits.set("a", 3);
    expect(gates.next()?.item).toBe("a1");
    expect(gates.next()?.item).toBe("a2");
  });
});
