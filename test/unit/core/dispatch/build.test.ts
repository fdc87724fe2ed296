/** planSubmits: the submit_sm fields a message gets for an upstream, and which parts are sent again. */
import { describe, expect, test } from "vitest";
import type { MessagePartRow, MessageRow } from "../../../../src/core/messages/sink.js";
import { planSubmits, type SubmitSettings, validityLeft } from "../../../../src/core/submit/build.js";
import { parseUdh, segmentText } from "../../../../src/smpp/text/index.js";
import { messageRow as message, NOW, partRow } from "./rows.js";

const SETTINGS: SubmitSettings = {
  source_ton: null,
  source_npi: null,
  dest_ton: null,
  dest_npi: null,
  dcs0_charset: "gsm7",
  long_message_mode: "udh8",
};

/** The parts the accept side stores: udh8 split with DCS 0 as GSM. */
function storedParts(m: MessageRow, accepted: number[] = []): MessagePartRow[] {
  const encoding = m.encoding === "binary" ? "gsm7" : m.encoding;
  const split = segmentText(m.text, { encoding, mode: "udh8", reference: m.concatRef ?? 0 });
  return split.parts.map((p) =>
    partRow(m.id, p.index, p.text, accepted.includes(p.index) ? `id${p.index}` : null),
  );
}

describe("planSubmits", () => {
  test("alphanumeric sender 5/0, international destination 1/1, receipt requested, no UDHI", () => {
    const m = message();
    const plan = planSubmits(m, storedParts(m), SETTINGS, NOW);
    expect(plan.replace).toBe(false);
    expect(plan.send).toHaveLength(1);
    const body = plan.send[0]?.body;
    expect(body).toMatchObject({
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: "ACME",
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: "447700900123",
      esm_class: 0,
      registered_delivery: 1,
      data_coding: 0,
      validity_period: "",
    });
    expect(body?.short_message.toString("latin1")).toBe("hello");
  });

  test("number and short-code senders, upstream TON/NPI overrides, no receipt when not asked", () => {
    const intl = message({ from: "+447700900999", deliveryReport: false });
    const a = planSubmits(intl, storedParts(intl), SETTINGS, NOW).send[0]?.body;
    expect([a?.source_addr_ton, a?.source_addr_npi, a?.source_addr]).toEqual([1, 1, "447700900999"]);
    expect(a?.registered_delivery).toBe(0);

    const short = message({ from: "12345" });
    const b = planSubmits(short, storedParts(short), SETTINGS, NOW).send[0]?.body;
    expect([b?.source_addr_ton, b?.source_addr_npi]).toEqual([3, 0]);

    const overridden = { ...SETTINGS, source_ton: 2, source_npi: 9, dest_ton: 0, dest_npi: 0 };
    const c = planSubmits(short, storedParts(short), overridden, NOW).send[0]?.body;
    expect([c?.source_addr_ton, c?.source_addr_npi, c?.dest_addr_ton, c?.dest_addr_npi]).toEqual([
      2, 9, 0, 0,
    ]);
  });

  test("validity is what is left of the period, relative", () => {
    const m = message({ expiresAt: new Date(NOW.getTime() + 90_000) });
    const body = planSubmits(m, storedParts(m), SETTINGS, NOW).send[0]?.body;
    expect(body?.validity_period).toBe("000000000130000R");
    expect(validityLeft(new Date(NOW.getTime() - 5000), NOW)).toBe(1);
    expect(validityLeft(null, NOW)).toBeNull();
  });

  test("UCS-2 goes out as data_coding 8", () => {
    const m = message({ text: "hi 👋", encoding: "ucs2", dataCoding: 8 });
    const body = planSubmits(m, storedParts(m), SETTINGS, NOW).send[0]?.body;
    expect(body?.data_coding).toBe(8);
    expect(body?.short_message.toString("hex")).toBe("006800690020d83ddc4b");
  });

  test("a long message: UDHI on every part, one reference; parts already accepted are not sent again", () => {
    const m = message({ text: "a".repeat(400), segments: 3, concatRef: 0x1234 });
    const all = planSubmits(m, storedParts(m), SETTINGS, NOW);
    expect(all.send.map((p) => p.index)).toEqual([1, 2, 3]);
    for (const p of all.send) {
      expect(p.body.esm_class & 0x40).toBe(0x40);
      expect(parseUdh(p.body.short_message).concat).toMatchObject({ ref: 0x34, total: 3, seq: p.index });
    }
    const rest = planSubmits(m, storedParts(m, [1, 3]), SETTINGS, NOW);
    expect(rest.replace).toBe(false);
    expect(rest.send.map((p) => p.index)).toEqual([2]);
    expect(rest.send[0]?.body.short_message).toEqual(all.send[1]?.body.short_message);
  });

  test("upstream long-message modes: 16-bit UDH, SAR TLVs, one message_payload (re-split, all sent)", () => {
    const m = message({ text: "b".repeat(400), segments: 3, concatRef: 0x1234 });
    const udh16 = planSubmits(m, storedParts(m, [1]), { ...SETTINGS, long_message_mode: "udh16" }, NOW);
    expect(udh16.replace).toBe(true);
    expect(udh16.send).toHaveLength(3);
    expect(parseUdh(udh16.send[0]?.body.short_message ?? Buffer.alloc(0)).concat?.ref).toBe(0x1234);

    const sar = planSubmits(m, storedParts(m), { ...SETTINGS, long_message_mode: "sar" }, NOW);
    expect(sar.send[1]?.body.esm_class).toBe(0);
    expect(sar.send[1]?.body.tlvs).toMatchObject({
      sar_msg_ref_num: 0x1234,
      sar_total_segments: 3,
      sar_segment_seqnum: 2,
    });

    const payload = planSubmits(m, storedParts(m), { ...SETTINGS, long_message_mode: "payload" }, NOW);
    expect(payload.replace).toBe(true);
    expect(payload.total).toBe(1);
    expect(payload.send[0]?.body.short_message).toHaveLength(0);
    expect(payload.send[0]?.body.tlvs).toMatchObject({
      message_payload: Buffer.from("b".repeat(400), "latin1"),
    });
  });

  test("dcs0_charset: latin1 upstream gets Latin-1 octets; a GSM text it cannot carry goes as UCS-2", () => {
    const m = message({ text: "é!" });
    const latin = planSubmits(m, storedParts(m), { ...SETTINGS, dcs0_charset: "latin1" }, NOW).send[0]?.body;
    expect(latin?.short_message.toString("hex")).toBe("e921");
    expect(latin?.data_coding).toBe(0);

    const euro = message({ text: "5 €" });
    const ascii = planSubmits(euro, storedParts(euro), { ...SETTINGS, dcs0_charset: "ascii" }, NOW).send[0]
      ?.body;
    expect(ascii?.data_coding).toBe(8);
  });
});
