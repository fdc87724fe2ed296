import { describe, expect, test } from "vitest";
import { FramingError } from "../../../src/smpp/errors.js";
import { Framer } from "../../../src/smpp/framer.js";

// From ../shared/smpp/vectors.json: bind_transceiver, enquire_link, submit_sm with SAR TLVs.
const BIND = Buffer.from(
  "00000030000000090000000000000001736D703100717765313233004F5A454B493130003401012B3030303030303000",
  "hex",
);
const ENQUIRE = Buffer.from("00000010000000150000000000000007", "hex");
const SUBMIT = Buffer.from(
  "0000004A0000000400000000000000050000005465737400000034393135313132333435363738000000000000000000000870617274206F6E65020C0002012C020E000102020F000101",
  "hex",
);

function hex(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString("hex"));
}

describe("Framer", () => {
  test.each([
    ["bind_transceiver", BIND],
    ["enquire_link", ENQUIRE],
    ["submit_sm", SUBMIT],
  ])("%s split at every byte offset comes out whole, once", (_name, pdu) => {
    for (let cut = 0; cut <= pdu.length; cut++) {
      const framer = new Framer();
      const first = framer.push(pdu.subarray(0, cut));
      const second = framer.push(pdu.subarray(cut));
      expect(hex([...first, ...second]), `cut at ${cut}`).toEqual([pdu.toString("hex")]);
      expect(framer.pendingBytes).toBe(0);
    }
  });

  test("one byte at a time", () => {
    const framer = new Framer();
    const stream = Buffer.concat([BIND, SUBMIT]);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      const frames = framer.push(stream.subarray(i, i + 1));
      // A frame completes exactly on its last octet.
      expect(frames.length).toBe(i === BIND.length - 1 || i === stream.length - 1 ? 1 : 0);
      out.push(...frames);
    }
    expect(hex(out)).toEqual(hex([BIND, SUBMIT]));
  });

  test("several PDUs in one chunk, with a partial one kept for the next chunk", () => {
    const framer = new Framer();
    const chunk = Buffer.concat([ENQUIRE, BIND, SUBMIT, ENQUIRE.subarray(0, 10)]);
    expect(hex(framer.push(chunk))).toEqual(hex([ENQUIRE, BIND, SUBMIT]));
    expect(framer.pendingBytes).toBe(10);
    expect(hex(framer.push(ENQUIRE.subarray(10)))).toEqual(hex([ENQUIRE]));
    expect(framer.pendingBytes).toBe(0);
  });

  test("a partial header is kept until the rest arrives", () => {
    const framer = new Framer();
    expect(framer.push(BIND.subarray(0, 2))).toEqual([]);
    expect(framer.pendingBytes).toBe(2);
    expect(framer.push(BIND.subarray(2, 9))).toEqual([]);
    expect(framer.pendingBytes).toBe(9);
    expect(hex(framer.push(BIND.subarray(9)))).toEqual(hex([BIND]));
  });

  test("an empty chunk changes nothing", () => {
    const framer = new Framer();
    expect(framer.push(Buffer.alloc(0))).toEqual([]);
    framer.push(SUBMIT.subarray(0, 20));
    expect(framer.push(Buffer.alloc(0))).toEqual([]);
    expect(hex(framer.push(SUBMIT.subarray(20)))).toEqual(hex([SUBMIT]));
  });

  test("frames assembled across chunks do not share memory with later chunks", () => {
    const framer = new Framer();
    const chunk = Buffer.from(SUBMIT);
    framer.push(chunk.subarray(0, 30));
    const [frame] = framer.push(chunk.subarray(30));
    chunk.fill(0);
    expect(frame?.toString("hex")).toBe(SUBMIT.toString("hex"));
  });

  function lengthPrefix(length: number): Buffer {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(length, 0);
    b.writeUInt32BE(0x15, 4);
    return b;
  }

  test.each(Array.from({ length: 16 }, (_, n) => n))("command_length %i is fatal", (length) => {
    const framer = new Framer();
    expect(() => framer.push(lengthPrefix(length))).toThrow(FramingError);
  });

  test("command_length over the maximum is fatal before anything is allocated for it", () => {
    const framer = new Framer({ maxLength: 1024 });
    expect(framer.push(lengthPrefix(1024).subarray(0, 16))).toEqual([]);
    const framer2 = new Framer({ maxLength: 1024 });
    let error: unknown;
    try {
      framer2.push(lengthPrefix(1025).subarray(0, 4));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FramingError);
    expect((error as FramingError).commandLength).toBe(1025);
    expect(() => new Framer().push(lengthPrefix(65537))).toThrow(FramingError);
    expect(() => new Framer().push(lengthPrefix(0xffffffff))).toThrow(FramingError);
  });

  test("the default maximum is 64 KiB", () => {
    const framer = new Framer();
    expect(framer.maxLength).toBe(65536);
    expect(framer.push(lengthPrefix(65536))).toEqual([]);
    expect(framer.pendingBytes).toBe(16);
  });

  test("a bad length split across chunks is caught once its 4 octets are in", () => {
    const framer = new Framer();
    expect(framer.push(Buffer.from([0, 0]))).toEqual([]);
    expect(() => framer.push(Buffer.from([0, 5, 0, 0]))).toThrow(FramingError);
  });

  test("after a framing error the stream stays failed", () => {
    const framer = new Framer();
    expect(() => framer.push(lengthPrefix(3))).toThrow(FramingError);
    expect(() => framer.push(ENQUIRE)).toThrow(FramingError);
  });

  test("frames completed before a bad length in the same chunk travel with the error", () => {
    const framer = new Framer();
    let error: unknown;
    try {
      framer.push(Buffer.concat([ENQUIRE, BIND, lengthPrefix(8)]));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FramingError);
    expect(hex([...(error as FramingError).frames])).toEqual(hex([ENQUIRE, BIND]));
    expect((error as FramingError).commandLength).toBe(8);
  });

  test("rejects a maximum below the header size", () => {
    expect(() => new Framer({ maxLength: 15 })).toThrow(RangeError);
  });
});
