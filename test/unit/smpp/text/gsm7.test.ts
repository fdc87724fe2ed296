import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  decodeGsm7,
  decodeGsm7Packed,
  encodeGsm7,
  encodeGsm7Packed,
  findNonGsm7,
  GSM7_BASIC_TABLE,
  GSM7_EXTENSION_TABLE,
  gsm7FillBits,
  gsm7Length,
  packSeptets,
  UnencodableCharacterError,
  unpackSeptets,
} from "../../../../src/smpp/text/index.js";

// The npm `smpp` package is the independent peer; its GSM tables live in lib/defs.js.
interface PeerGsmCoder {
  encode(text: string, table: number): Buffer;
  decode(bytes: Buffer, table: number): string;
}
const peer = createRequire(import.meta.url)("smpp/lib/defs.js") as { gsmCoder: PeerGsmCoder };

const BASIC_CHARS = GSM7_BASIC_TABLE.filter((_, septet) => septet !== 0x1b);
const EXTENSION_CHARS = [...GSM7_EXTENSION_TABLE.values()];
const ALL_CHARS = [...BASIC_CHARS, ...EXTENSION_CHARS];
const gsmText = fc.string({ unit: fc.constantFrom(...ALL_CHARS), maxLength: 400, size: "max" });

describe("GSM 03.38 tables", () => {
  test("basic table spot checks from NOTES §8 / 23.038", () => {
    expect(GSM7_BASIC_TABLE).toHaveLength(128);
    expect(GSM7_BASIC_TABLE[0x00]).toBe("@");
    expect(GSM7_BASIC_TABLE[0x02]).toBe("$");
    expect(GSM7_BASIC_TABLE[0x09]).toBe("Ç");
    expect(GSM7_BASIC_TABLE[0x10]).toBe("Δ");
    expect(GSM7_BASIC_TABLE[0x24]).toBe("¤");
    expect(GSM7_BASIC_TABLE[0x40]).toBe("¡");
    expect(GSM7_BASIC_TABLE[0x5f]).toBe("§");
    expect(GSM7_BASIC_TABLE[0x60]).toBe("¿");
    expect(GSM7_BASIC_TABLE[0x7f]).toBe("à");
    expect(new Set(BASIC_CHARS).size).toBe(127);
  });

  test("every basic character encodes to the same septet as the npm smpp peer", () => {
    for (const ch of BASIC_CHARS) {
      expect([...encodeGsm7(ch)], ch).toEqual([...peer.gsmCoder.encode(ch, 0)]);
    }
  });

  test("every extension character encodes to ESC + the same code as the npm smpp peer", () => {
    expect(EXTENSION_CHARS.sort()).toEqual(["[", "\\", "]", "^", "{", "|", "}", "~", "\f", "€"].sort());
    for (const ch of EXTENSION_CHARS) {
      const ours = encodeGsm7(ch);
      expect(ours[0]).toBe(0x1b);
      expect([...ours], ch).toEqual([...peer.gsmCoder.encode(ch, 0)]);
    }
  });

  test("the peer decodes our septets of the whole alphabet back to the same text", () => {
    const all = ALL_CHARS.join("");
    expect(peer.gsmCoder.decode(encodeGsm7(all), 0)).toBe(all);
    expect(decodeGsm7(peer.gsmCoder.encode(all, 0))).toBe(all);
  });

  test("fixed bytes: '€' is 1B 65 and costs 2 septets; '{' is 1B 28", () => {
    expect(encodeGsm7("€").toString("hex")).toBe("1b65");
    expect(encodeGsm7("{").toString("hex")).toBe("1b28");
    expect(gsm7Length("€")).toBe(2);
    expect(gsm7Length("a€b")).toBe(4);
    expect(encodeGsm7("Hello world").toString("hex").toUpperCase()).toBe("48656C6C6F20776F726C64");
  });
});

describe("unpacked septets", () => {
  test("round-trips every character of both tables, one by one and together", () => {
    for (const ch of ALL_CHARS) expect(decodeGsm7(encodeGsm7(ch))).toBe(ch);
    const all = ALL_CHARS.join("");
    expect(decodeGsm7(encodeGsm7(all))).toBe(all);
  });

  test("property: any text of the alphabet round-trips and costs its septet count", () => {
    fc.assert(
      fc.property(gsmText, (text) => {
        const septets = encodeGsm7(text);
        expect(septets.length).toBe(gsm7Length(text));
        expect(septets.every((s) => s < 0x80)).toBe(true);
        expect(decodeGsm7(septets)).toBe(text);
      }),
    );
  });

  test("an unknown escape shows the basic-table character; ESC ESC a space; lone ESC nothing", () => {
    expect(decodeGsm7(Buffer.from([0x1b, 0x41]))).toBe("A");
    expect(decodeGsm7(Buffer.from([0x1b, 0x00]))).toBe("@");
    expect(decodeGsm7(Buffer.from([0x1b, 0x1b, 0x41]))).toBe(" A");
    expect(decodeGsm7(Buffer.from([0x41, 0x1b]))).toBe("A");
    expect(decodeGsm7(Buffer.from([0x41, 0x80]))).toBe("A\ufffd");
  });

  test("reports the first character that does not fit, by code-point index", () => {
    expect(findNonGsm7("abc")).toBeNull();
    expect(findNonGsm7("a😀bç")).toEqual({ character: "😀", index: 1 });
    expect(findNonGsm7("abçd😀")).toEqual({ character: "ç", index: 2 });
    expect(findNonGsm7("\u001b")).toEqual({ character: "\u001b", index: 0 });
    expect(() => encodeGsm7("ab`")).toThrow(UnencodableCharacterError);
    expect(() => encodeGsm7("x😀y`")).toThrow(
      expect.objectContaining({ code: "UNENCODABLE_CHARACTER", character: "😀", index: 1, encoding: "gsm7" }),
    );
  });
});

describe("packed septets", () => {
  test("'hellohello' packs to E8329BFD4697D9EC37 (23.038 / Wikipedia example)", () => {
    expect(encodeGsm7Packed("hellohello").toString("hex").toUpperCase()).toBe("E8329BFD4697D9EC37");
    expect(decodeGsm7Packed(Buffer.from("E8329BFD4697D9EC37", "hex"))).toBe("hellohello");
  });

  test("fill bits after a UDH: 6 octets → 1, 7 octets → 0, 5 → 2; none without a UDH", () => {
    expect(gsm7FillBits(6)).toBe(1);
    expect(gsm7FillBits(7)).toBe(0);
    expect(gsm7FillBits(5)).toBe(2);
    expect(gsm7FillBits(0)).toBe(0);
    for (let octets = 0; octets < 40; octets++) {
      expect((octets * 8 + gsm7FillBits(octets)) % 7).toBe(0);
    }
  });

  test("known bytes with one fill bit: 'hellohello' after a 6-octet UDH", () => {
    // 23.040 layout: the septet stream starts at bit 49 of the user data, i.e. bit 1 of octet 6; computed
    // independently as the unfilled packing shifted left by one bit across the whole little-endian number.
    expect(encodeGsm7Packed("hellohello", 1).toString("hex").toUpperCase()).toBe("D06536FB8D2EB3D96F");
  });

  test("property: packing equals the septets laid LSB-first into one little-endian bit string", () => {
    fc.assert(
      fc.property(gsmText, fc.integer({ min: 0, max: 6 }), (text, fill) => {
        const septets = encodeGsm7(text);
        let value = 0n;
        septets.forEach((s, i) => {
          value |= BigInt(s) << BigInt(fill + 7 * i);
        });
        const bits = fill + 7 * septets.length;
        const spare = (8 - (bits % 8)) % 8;
        if (spare === 7) value |= 0x0dn << BigInt(bits); // CR padding (23.038 §6.1.2.3.1)
        const packed = packSeptets(septets, fill);
        const endsOnBoundaryWithCr =
          septets.length > 0 && septets[septets.length - 1] === 0x0d && spare === 0;
        if (endsOnBoundaryWithCr) return; // checked separately below
        const expected = Buffer.alloc(Math.ceil(bits / 8));
        for (let i = 0; i < expected.length; i++) expected[i] = Number((value >> BigInt(8 * i)) & 0xffn);
        expect(packed.toString("hex")).toBe(expected.toString("hex"));
      }),
    );
  });

  test("round-trips every character of both tables with every fill", () => {
    const all = ALL_CHARS.join("");
    for (let fill = 0; fill <= 6; fill++) {
      expect(decodeGsm7Packed(encodeGsm7Packed(all, fill), fill)).toBe(all);
      for (const ch of ALL_CHARS) {
        // A lone CR that ends on an octet boundary (fill 1) is sent as CR CR, see below.
        const expected = ch === "\r" && fill === 1 ? "\r\r" : ch;
        expect(decodeGsm7Packed(encodeGsm7Packed(ch, fill), fill)).toBe(expected);
      }
    }
  });

  test("property: any text round-trips packed, except that a final CR on an octet boundary doubles", () => {
    fc.assert(
      fc.property(gsmText, fc.integer({ min: 0, max: 6 }), (text, fill) => {
        const decoded = decodeGsm7Packed(encodeGsm7Packed(text, fill), fill);
        const onBoundary = (fill + 7 * gsm7Length(text)) % 8 === 0;
        expect(decoded).toBe(text.endsWith("\r") && onBoundary ? `${text}\r` : text);
      }),
    );
  });

  test("7 spare bits hold CR, which the decoder drops; 7 septets are 7 octets, not 8 with an '@'", () => {
    const packed = encodeGsm7Packed("1234567");
    expect(packed.length).toBe(7);
    expect(packed[6] ?? 0).toBe(0x0d << 1);
    expect(decodeGsm7Packed(packed)).toBe("1234567");
    expect(unpackSeptets(packed, 0, 7).length).toBe(7);
    // A real eighth '@' septet is kept.
    expect(decodeGsm7Packed(encodeGsm7Packed("1234567@"))).toBe("1234567@");
  });

  test("a text ending in CR exactly on an octet boundary gets a second CR (23.038 §6.1.2.3.1)", () => {
    const packed = encodeGsm7Packed("1234567\r");
    expect(packed.length).toBe(8);
    expect(decodeGsm7Packed(packed)).toBe("1234567\r\r");
  });
});
