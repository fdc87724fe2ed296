import { describe, expect, test } from "vitest";
import {
  chooseEncoding,
  findUnencodable,
  UnencodableCharacterError,
} from "../../../../src/smpp/text/index.js";

describe("chooseEncoding", () => {
  test("auto picks gsm7 when every character fits the GSM tables, extension included", () => {
    expect(chooseEncoding("Hello {world} €5 @ home", "auto")).toBe("gsm7");
    expect(chooseEncoding("ΔΦΓ ñ ü à", "auto")).toBe("gsm7");
  });

  test("auto picks ucs2 for anything else", () => {
    expect(chooseEncoding("Привет", "auto")).toBe("ucs2");
    expect(chooseEncoding("ok 😀", "auto")).toBe("ucs2");
    expect(chooseEncoding("façade", "auto")).toBe("ucs2"); // ç is not GSM (only Ç is)
    expect(chooseEncoding("a`b", "auto")).toBe("ucs2");
  });

  test("an explicit encoding is checked and refused with the first offending character and its index", () => {
    expect(chooseEncoding("plain", "gsm7")).toBe("gsm7");
    expect(chooseEncoding("Привет", "ucs2")).toBe("ucs2");
    expect(chooseEncoding("café", "latin1")).toBe("latin1");
    expect(() => chooseEncoding("ok Привет", "gsm7")).toThrow(
      expect.objectContaining({ code: "UNENCODABLE_CHARACTER", character: "П", index: 3, encoding: "gsm7" }),
    );
    expect(() => chooseEncoding("price 5€", "latin1")).toThrow(
      expect.objectContaining({ character: "€", index: 7, encoding: "latin1" }),
    );
    expect(() => chooseEncoding("😀", "latin1")).toThrow(UnencodableCharacterError);
  });

  test("an upstream that reads DCS 0 as ASCII or Latin-1 narrows gsm7", () => {
    expect(chooseEncoding("£5", "auto", "gsm7")).toBe("gsm7");
    expect(chooseEncoding("£5", "auto", "ascii")).toBe("ucs2");
    expect(chooseEncoding("£5", "auto", "latin1")).toBe("gsm7");
    expect(chooseEncoding("Δ", "auto", "latin1")).toBe("ucs2");
    expect(chooseEncoding("5€", "auto", "latin1")).toBe("ucs2");
    expect(() => chooseEncoding("ab £", "gsm7", "ascii")).toThrow(
      expect.objectContaining({ character: "£", index: 3 }),
    );
    expect(() => chooseEncoding("ab £", "gsm7", "ascii")).toThrow(/reads DCS 0 as ascii/);
  });

  test("findUnencodable: ucs2 carries everything", () => {
    expect(findUnencodable("\ud800 lone surrogate 😀", "ucs2")).toBeNull();
    expect(findUnencodable("x\u001b", "gsm7")).toEqual({ character: "\u001b", index: 1 });
  });
});
