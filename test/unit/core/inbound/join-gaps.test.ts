/**
 * joinSegments on an incomplete set: octets are joined only across neighbouring segments, never across a
 * missing one, so the end of one segment and the start of another that were never adjacent do not make
 * a character together. Hand-written octets, not our encoder.
 */
import { describe, expect, test } from "vitest";
import { joinSegments } from "../../../../src/core/inbound/join.js";

const seg = (seq: number, bytes: number[], dataCoding = 0) => ({ seq, data: Buffer.from(bytes), dataCoding });

describe("joinSegments across a missing segment", () => {
  test("a GSM escape ending segment 1 does not combine with segment 3's first septet", () => {
    // Segment 1: "a" then ESC (its extension character went on in the lost segment 2); segment 3: "e(".
    const joined = joinSegments([seg(1, [0x61, 0x1b]), seg(3, [0x65, 0x28])], 3, "gsm7");
    expect(joined).toMatchObject({ text: "ae(", segments: 2, encoding: "gsm7" });
  });

  test("a high surrogate ending segment 1 does not pair with a low surrogate starting segment 3", () => {
    // Segment 1: "H" + the high half of 😀; segment 3: the low half of 👍 (U+1F44D) + "!".
    const joined = joinSegments(
      [seg(1, [0x00, 0x48, 0xd8, 0x3d], 8), seg(3, [0xdc, 0x4d, 0x00, 0x21], 8)],
      3,
      "gsm7",
    );
    // Not "H👍!": each half is shown as what it is, a character cut off.
    expect(joined).toMatchObject({ text: "H\ufffd\ufffd!", segments: 2, encoding: "ucs2" });
  });

  test("neighbouring segments still join before decoding", () => {
    const joined = joinSegments([seg(1, [0x61, 0x1b]), seg(2, [0x65]), seg(4, [0x62])], 4, "gsm7");
    expect(joined).toMatchObject({ text: "a€b", segments: 3 });
  });
});
