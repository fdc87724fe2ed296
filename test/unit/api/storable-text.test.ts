import { describe, expect, it } from "vitest";
import { unstorableStrings } from "../../../src/api/storable-text.js";

describe("unstorableStrings", () => {
  it("passes storable text, surrogate pairs and other control characters included", () => {
    expect(
      unstorableStrings({ text: "Ciao 😀👍🏽 東京\r\n\t\u0001", n: 5, list: ["a", null, true] }),
    ).toEqual([]);
  });

  it("names each lone surrogate and NUL by path, code unit and code-point position", () => {
    expect(
      unstorableStrings({
        text: "😀 x\ud83d",
        messages: [{ to: "ok" }, { client_reference: "\udc00 first" }, { from: "AB\u0000" }],
      }),
    ).toEqual([
      { path: "text", message: "Lone UTF-16 surrogate U+D83D at position 3 is not a Unicode character" },
      {
        path: "messages.1.client_reference",
        message: "Lone UTF-16 surrogate U+DC00 at position 0 is not a Unicode character",
      },
      { path: "messages.2.from", message: "NUL (U+0000) at position 2 is not allowed" },
    ]);
  });

  it("sees a low surrogate before its high one as two lone ones, reporting the first", () => {
    expect(unstorableStrings("\ude00\ud83d")[0]?.message).toContain("U+DE00 at position 0");
  });
});
