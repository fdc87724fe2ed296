import { expect, test } from "vitest";
import { SubmitLog, type SubmitRecord } from "../../../src/simulator/submit-record.js";

function record(n: number, text = `m${n}`): SubmitRecord {
  return {
    command: "submit_sm",
    messageId: String(n),
    status: 0,
    systemId: "a",
    sessionId: 1,
    source: "s",
    destination: "d",
    esmClass: 0,
    dataCoding: 0,
    registeredDelivery: 0,
    payload: Buffer.from(text),
    text,
    receivedAt: n,
  };
}

test("keeps the latest `capacity` records, oldest first", () => {
  const log = new SubmitLog(3);
  for (let i = 1; i <= 5; i++) log.add(record(i));
  expect(log.list().map((r) => r.messageId)).toEqual(["3", "4", "5"]);
  expect(log.droppedCount).toBe(2);
  log.clear();
  expect(log.list()).toEqual([]);
});

test("capacity 0 keeps nothing", () => {
  const log = new SubmitLog(0);
  log.add(record(1));
  expect(log.enabled).toBe(false);
  expect(log.list()).toEqual([]);
});

test("duplicates groups the same content", () => {
  const log = new SubmitLog(10);
  log.add(record(1, "hello"));
  log.add(record(2, "other"));
  log.add(record(3, "hello"));
  const dups = log.duplicates();
  expect(dups).toHaveLength(1);
  expect(dups[0]?.map((r) => r.messageId)).toEqual(["1", "3"]);
});
