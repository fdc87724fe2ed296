import { describe, expect, test } from "vitest";
import {
  OUTCOME_DETAILS,
  OutcomePicker,
  parseOutcomeMix,
  receiptRequested,
} from "../../../src/simulator/outcomes.js";

describe("OutcomePicker", () => {
  test("a single outcome is always picked", () => {
    const picker = new OutcomePicker({ UNDELIV: 3 });
    for (let i = 0; i < 20; i++) expect(picker.pick()).toBe("UNDELIV");
  });

  test("weights split the random range in table order", () => {
    // DELIVRD [0,1), EXPIRED [1,3), REJECTD [3,4) of a total of 4
    const values = [0, 0.24, 0.25, 0.74, 0.75, 0.999];
    const picker = new OutcomePicker({ DELIVRD: 1, EXPIRED: 2, REJECTD: 1 }, () => values.shift() ?? 0);
    expect(Array.from({ length: 6 }, () => picker.pick())).toEqual([
      "DELIVRD",
      "DELIVRD",
      "EXPIRED",
      "EXPIRED",
      "REJECTD",
      "REJECTD",
    ]);
  });

  test("refuses a mix without a positive weight", () => {
    expect(() => new OutcomePicker({ DELIVRD: 0 })).toThrow(RangeError);
    expect(() => new OutcomePicker({ DELIVRD: -1, UNDELIV: 2 })).toThrow(RangeError);
  });
});

describe("receiptRequested", () => {
  test("follows registered_delivery bits 1-0", () => {
    expect(receiptRequested(0, "DELIVRD")).toBe(false);
    expect(receiptRequested(1, "DELIVRD")).toBe(true);
    expect(receiptRequested(1, "UNDELIV")).toBe(true);
    expect(receiptRequested(2, "DELIVRD")).toBe(false);
    expect(receiptRequested(2, "EXPIRED")).toBe(true);
    expect(receiptRequested(3, "DELIVRD")).toBe(true);
    expect(receiptRequested(3, "REJECTD")).toBe(false);
    // SME acknowledgement bits alone do not ask the SMSC for a receipt
    expect(receiptRequested(0x0c, "DELIVRD")).toBe(false);
    expect(receiptRequested(0x11, "DELIVRD")).toBe(true);
  });
});

describe("parseOutcomeMix", () => {
  test("reads name=weight lists, case-insensitively", () => {
    expect(parseOutcomeMix("DELIVRD=90, undeliv=10,EXPIRED")).toEqual({
      DELIVRD: 90,
      UNDELIV: 10,
      EXPIRED: 1,
    });
  });

  test("rejects unknown names and bad weights", () => {
    expect(() => parseOutcomeMix("DELIVERED=1")).toThrow(/unknown receipt outcome/);
    expect(() => parseOutcomeMix("DELIVRD=x")).toThrow(/bad weight/);
  });
});

test("message states follow §5.2.28", () => {
  expect(OUTCOME_DETAILS.DELIVRD.messageState).toBe(2);
  expect(OUTCOME_DETAILS.EXPIRED.messageState).toBe(3);
  expect(OUTCOME_DETAILS.UNDELIV.messageState).toBe(5);
  expect(OUTCOME_DETAILS.REJECTD.messageState).toBe(8);
});
