import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodePdu, encodePdu } from "../../../src/smpp/codec.js";
import { Framer } from "../../../src/smpp/framer.js";
import { anyPdu, COMMAND_NAMES, pduArbitrary } from "./arbitraries.js";

describe("decode(encode(pdu)) equals pdu", () => {
  test.each(COMMAND_NAMES)("%s", (command) => {
    fc.assert(
      fc.property(pduArbitrary(command), (pdu) => {
        const bytes = encodePdu(pdu);
        expect(bytes.readUInt32BE(0)).toBe(bytes.length);
        const decoded = decodePdu(bytes);
        expect(decoded).toEqual(pdu);
        // Decoded TLVs keep wire order, so the bytes come back identical too.
        expect(encodePdu(decoded).equals(bytes)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

test("the framer returns the same PDUs however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.array(anyPdu, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
      (pdus, cuts) => {
        const frames = pdus.map(encodePdu);
        const stream = Buffer.concat(frames);
        const framer = new Framer();
        const out: Buffer[] = [];
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length] ?? 1;
          out.push(...framer.push(stream.subarray(offset, offset + size)));
          offset += size;
        }
        expect(out.map((f) => f.toString("hex"))).toEqual(frames.map((f) => f.toString("hex")));
        expect(out.map((f) => decodePdu(f))).toEqual(pdus);
      },
    ),
    { numRuns: 200 },
  );
});
