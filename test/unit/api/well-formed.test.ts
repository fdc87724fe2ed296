import { describe, expect, it } from "vitest";
import { illFormedStrings } from "../../../src/api/well-formed.js";

describe("illFormedStrings", () => {
  it("passes well-formed text, surrogate pairs included", () => {
    expect(illFormedStrings({ text: "Ciao 😀👍🏽 東京", n: 5, list: ["a", null, true] })).toEqual([]);
  });

  it("names each lone high or low surrogate by path, code unit and code-point position", () => {
    expect(
      illFormedStrings({
        text: "😀 x\ud83d",
        messages: [{ to: "ok" }, { client_reference: "\udc00 first" }],
      }),
    ).toEqual([
      { path: "text", message: "Lone UTF-16 surrogate U+D83D at position 3 is not a Unicode character" },
      {
        path: "messages.1.client_reference",
        message: "Lone UTF-16 surrogate U+DC00 at position 0 is not a Unicode character",
      },
    ]);
  });

  it("sees a low surrogate before its high one as two lone ones, reporting the first", () => {
    expect(illFormedStrings("\ude00\ud83d")[0]?.message).toContain("U+DE00 at position 0");
  });
});
