import { describe, expect, test } from "vitest";
import { decodeShortMessage, describeDataCoding, encodeGsm7Packed } from "../../../../src/smpp/text/index.js";

describe("describeDataCoding: SMPP table for 0x00–0x0F, 23.038 groups above", () => {
  test.each([
    [0x00, "gsm7", null],
    [0x01, "ascii", null],
    [0x02, "binary", null],
    [0x03, "latin1", null],
    [0x04, "binary", null],
    [0x05, "jis", null],
    [0x06, "cyrillic", null],
    [0x07, "hebrew", null],
    [0x08, "ucs2", null],
    [0x09, "pictogram", null],
    [0x0a, "iso-2022-jp", null],
    [0x0d, "extended-kanji", null],
    [0x0e, "ks-c-5601", null],
    [0x10, "gsm7", 0], // flash GSM
    [0x11, "gsm7", 1],
    [0x14, "binary", 0],
    [0x15, "binary", 1],
    [0x18, "ucs2", 0], // flash UCS2: `& 0x0F` would say UCS2 only by luck
    [0x19, "ucs2", 1],
    [0x1a, "ucs2", 2],
    [0x0c, "gsm7", null], // reserved: read as the default alphabet
    [0x48, "ucs2", null], // automatic deletion group
    [0x52, "gsm7", 2],
    [0x80, "gsm7", null], // reserved group
    [0xc0, "gsm7", null], // MWI discard
    [0xd8, "gsm7", null], // MWI store
    [0xe8, "ucs2", null], // MWI store UCS2
    [0xf0, "gsm7", 0], // flash GSM: `& 0x0F` would say 0 by luck, 0xF1 would wrongly read IA5
    [0xf1, "gsm7", 1],
    [0xf2, "gsm7", 2],
    [0xf3, "gsm7", 3],
    [0xf4, "binary", 0],
    [0xf5, "binary", 1], // 8-bit class 1
    [0xf6, "binary", 2], // 8-bit SIM
  ] as const)("0x%s → %s, class %s", (dcs, charset, messageClass) => {
    expect(describeDataCoding(dcs)).toMatchObject({ charset, messageClass });
  });

  test("the compressed bit makes the data opaque", () => {
    expect(describeDataCoding(0x20)).toEqual({ charset: "binary", messageClass: null, compressed: true });
    expect(describeDataCoding(0x38)).toEqual({ charset: "binary", messageClass: 0, compressed: true });
  });
});

describe("decodeShortMessage", () => {
  const hello = Buffer.from("48656C6C6F20776F726C64", "hex"); // vector "submit_sm GSM 7-bit unpacked"

  test("DCS 0 follows the upstream's dcs0Charset", () => {
    expect(decodeShortMessage(hello, 0, "gsm7")).toEqual({ text: "Hello world", encoding: "gsm7" });
    expect(decodeShortMessage(Buffer.from([0x00, 0x02]), 0, "gsm7").text).toBe("@$");
    expect(decodeShortMessage(Buffer.from([0x00, 0x02]), 0, "latin1").text).toBe("\u0000\u0002");
    expect(decodeShortMessage(Buffer.from("40245f", "hex"), 0, "ascii")).toEqual({
      text: "@$_",
      encoding: "ascii",
    });
    expect(decodeShortMessage(Buffer.from("40245f", "hex"), 0, "gsm7").text).toBe("¡¤§");
    expect(decodeShortMessage(Buffer.from("E8329BFD4697D9EC37", "hex"), 0, "gsm7-packed").text).toBe(
      "hellohello",
    );
  });

  test("GSM-alphabet group values (flash 0x10, 0xF0) are read like DCS 0", () => {
    expect(decodeShortMessage(hello, 0x10, "gsm7").text).toBe("Hello world");
    expect(decodeShortMessage(hello, 0xf0, "gsm7").text).toBe("Hello world");
    expect(decodeShortMessage(encodeGsm7Packed("hi", 1), 0xf1, "gsm7-packed", 1).text).toBe("hi");
  });

  test("UCS2 by 8, 0x18 and 0x19; binary as upper-case hex", () => {
    const privet = Buffer.from("041F04400438043204350442", "hex");
    expect(decodeShortMessage(privet, 8)).toEqual({ text: "Привет", encoding: "ucs2" });
    expect(decodeShortMessage(privet, 0x18)).toEqual({ text: "Привет", encoding: "ucs2" });
    expect(decodeShortMessage(privet, 0x19).text).toBe("Привет");
    expect(decodeShortMessage(Buffer.from([0xde, 0xad, 0x01]), 0x04)).toEqual({
      text: "DEAD01",
      encoding: "binary",
    });
    expect(decodeShortMessage(Buffer.from([0xca, 0xfe]), 0xf5)).toEqual({ text: "CAFE", encoding: "binary" });
  });

  test("IA5, Latin-1 and the national charsets", () => {
    expect(decodeShortMessage(Buffer.from("STOP"), 1)).toEqual({ text: "STOP", encoding: "ascii" });
    expect(decodeShortMessage(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 3)).toEqual({
      text: "café",
      encoding: "latin1",
    });
    expect(decodeShortMessage(Buffer.from([0xbf, 0xe0, 0xd8]), 6)).toEqual({
      text: "При",
      encoding: "cyrillic",
    });
    expect(decodeShortMessage(Buffer.from([0xf9, 0xec, 0xe5, 0xed]), 7)).toEqual({
      text: "שלום",
      encoding: "hebrew",
    });
  });
});
