import { expect, test } from "vitest";
import { SMPP_VERSION } from "../../src/smpp/sanity.js";

test("interface version", () => {
  expect(SMPP_VERSION).toBe(0x34);
});
