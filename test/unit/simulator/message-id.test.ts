import { expect, test } from "vitest";
import {
  formatMessageId,
  MessageIdGenerator,
  otherMessageIdFormat,
} from "../../../src/simulator/message-id.js";

test("ids increase and stay exact integers", () => {
  const gen = new MessageIdGenerator(1_800_000_000_000);
  const a = gen.nextNumber();
  const b = gen.nextNumber();
  expect(b).toBe(a + 1);
  expect(Number.isSafeInteger(b)).toBe(true);
});

test("a later start begins above an earlier run", () => {
  const early = new MessageIdGenerator(1_800_000_000_000);
  for (let i = 0; i < 1000; i++) early.nextNumber();
  const late = new MessageIdGenerator(1_800_000_000_001);
  expect(late.nextNumber()).toBeGreaterThan(early.nextNumber());
});

test("the same id prints in both formats and converts back", () => {
  const id = new MessageIdGenerator(1_800_000_000_000).nextNumber();
  const hex = formatMessageId(id, "hex");
  const dec = formatMessageId(id, "decimal");
  expect(hex).toMatch(/^[0-9a-f]+$/);
  expect(dec).toMatch(/^[0-9]+$/);
  expect(Number.parseInt(hex, 16)).toBe(Number(dec));
  expect(dec.length).toBeLessThanOrEqual(64);
  expect(otherMessageIdFormat("hex")).toBe("decimal");
  expect(otherMessageIdFormat("decimal")).toBe("hex");
});
