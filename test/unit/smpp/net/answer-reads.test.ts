import { describe, expect, test } from "vitest";
import { AnswerReads } from "../../../../src/smpp/net/answer-reads.js";
import { MAX_SEQUENCE } from "../../../../src/smpp/net/window.js";

function tracked(): { reads: AnswerReads; read: string[]; add(name: string, lastSequence: number): void } {
  const reads = new AnswerReads();
  const read: string[] = [];
  return { reads, read, add: (name, lastSequence) => reads.add(lastSequence, () => read.push(name)) };
}

describe("AnswerReads", () => {
  test("a response to a request numbered after an answer proves it read, in order", () => {
    const t = tracked();
    t.add("a", 10);
    t.add("b", 10);
    t.add("c", 12);
    t.reads.responded(10); // the request written just before a and b: proves nothing
    expect(t.read).toEqual([]);
    t.reads.responded(11);
    expect(t.read).toEqual(["a", "b"]);
    expect(t.reads.size).toBe(1);
    t.reads.responded(12);
    expect(t.read).toEqual(["a", "b"]);
    t.reads.responded(13);
    expect(t.read).toEqual(["a", "b", "c"]);
    expect(t.reads.size).toBe(0);
  });

  test("responses out of order: one to an earlier request proves nothing", () => {
    const t = tracked();
    t.add("a", 50);
    t.reads.responded(49);
    t.reads.responded(3);
    expect(t.read).toEqual([]);
    t.reads.responded(51);
    expect(t.read).toEqual(["a"]);
  });

  test("across the wrap of sequence numbers", () => {
    const t = tracked();
    t.add("a", MAX_SEQUENCE - 1);
    t.reads.responded(MAX_SEQUENCE - 2);
    expect(t.read).toEqual([]);
    t.reads.responded(1); // numbered after MAX_SEQUENCE
    expect(t.read).toEqual(["a"]);
    t.add("b", MAX_SEQUENCE);
    t.reads.responded(MAX_SEQUENCE);
    expect(t.read).toEqual(["a"]);
    t.reads.responded(2);
    expect(t.read).toEqual(["a", "b"]);
  });

  test("an answer written before the first request of the connection", () => {
    const t = tracked();
    t.add("a", 0);
    t.reads.responded(1);
    expect(t.read).toEqual(["a"]);
  });

  test("clear: the connection went, nothing waiting is proven read", () => {
    const t = tracked();
    t.add("a", 5);
    t.reads.clear();
    t.reads.responded(6);
    expect(t.read).toEqual([]);
    expect(t.reads.size).toBe(0);
  });
});
