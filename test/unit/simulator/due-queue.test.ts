import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { DueQueue } from "../../../src/simulator/due-queue.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("fires items in due order, ties in insertion order", () => {
  const fired: string[] = [];
  const q = new DueQueue<string>((s) => fired.push(s));
  q.add("c", 300);
  q.add("a", 100);
  q.add("b1", 200);
  q.add("b2", 200);
  q.add("now", 0);
  expect(q.size).toBe(5);
  vi.advanceTimersByTime(150);
  expect(fired).toEqual(["now", "a"]);
  vi.advanceTimersByTime(200);
  expect(fired).toEqual(["now", "a", "b1", "b2", "c"]);
  expect(q.size).toBe(0);
});

test("many items with random delays come out sorted", () => {
  const fired: number[] = [];
  const q = new DueQueue<number>((n) => fired.push(n));
  const delays = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
  for (const d of delays) q.add(d, d);
  vi.advanceTimersByTime(1000);
  expect(fired).toEqual([...delays].sort((a, b) => a - b));
});

test("close drops what is pending and ignores later adds", () => {
  const fired: number[] = [];
  const q = new DueQueue<number>((n) => fired.push(n));
  q.add(1, 10);
  q.close();
  q.add(2, 10);
  vi.advanceTimersByTime(100);
  expect(fired).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
});
