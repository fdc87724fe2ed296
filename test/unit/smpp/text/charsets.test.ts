import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  decodeLatin1,
  decodeUcs2,
  encodeAscii,
  encodeLatin1,
  encodeUcs2,
  UnencodableCharacterError,
} from "../../../../src/smpp/text/index.js";

describe("UCS-2 (UTF-16BE)", () => {
  test("'Привет' is 041F 0440 0438 0432 0435 0442 (vector 'submit_sm UCS2 with UDH part 1/2 ref 0x2A')", () => {
    expect(encodeUcs2("Привет").toString("hex").toUpperCase()).toBe("041F04400438043204350442");
    expect(decodeUcs2(Buffer.from("041F04400438043204350442", "hex"))).toBe("Привет");
  });

  test("an emoji outside the BMP is a surrogate pair D83D DE00", () => {
    expect(encodeUcs2("😀").toString("hex").toUpperCase()).toBe("D83DDE00");
    expect(decodeUcs2(Buffer.from("D83DDE00", "hex"))).toBe("😀");
  });

  test("property: any string round-trips, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        const bytes = encodeUcs2(text);
        expect(bytes.length).toBe(text.length * 2);
        expect(decodeUcs2(bytes)).toBe(text);
      }),
    );
  });

  test("a dangling odd octet shows U+FFFD", () => {
    expect(decodeUcs2(Buffer.from([0x00, 0x41, 0x00]))).toBe("A\ufffd");
  });
});

describe("Latin-1 and ASCII", () => {
  test("Latin-1 maps code points to octets and back", () => {
    expect(encodeLatin1("café ¤ÿ").toString("hex")).toBe("636166e920a4ff");
    expect(decodeLatin1(Buffer.from("636166e920a4ff", "hex"))).toBe("café ¤ÿ");
  });

  test("property: every Latin-1 string round-trips", () => {
    const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(latin1, (text) => {
        expect(decodeLatin1(encodeLatin1(text))).toBe(text);
      }),
    );
  });

  test("characters above U+00FF (Latin-1) or U+007F (ASCII) are refused with their index", () => {
    expect(() => encodeLatin1("ab€")).toThrow(
      expect.objectContaining({ character: "€", index: 2, encoding: "latin1" }),
    );
    expect(() => encodeAscii("abé")).toThrow(UnencodableCharacterError);
    expect(() => encodeAscii("abé")).toThrow(expect.objectContaining({ character: "é", index: 2 }));
    expect(encodeAscii("{a}").toString()).toBe("{a}");
  });
});
