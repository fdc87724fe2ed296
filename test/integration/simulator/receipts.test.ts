import { afterEach, describe, expect, test } from "vitest";
import type { SimulatorOptions } from "../../../src/simulator/options.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import type { Pdu } from "../../../src/smpp/pdu.js";
import { parseReceipt } from "../../../src/smpp/receipt.js";
import { segmentText } from "../../../src/smpp/text/segment.js";
import { eventually, TestEsme } from "./esme.js";

let sim: Simulator;
const clients: TestEsme[] = [];

async function start(options: SimulatorOptions = {}): Promise<TestEsme> {
  sim = await Simulator.start({ dlrDelayMs: 0, ...options });
  const { esme } = await TestEsme.bound(sim.port, "bind_transceiver", "acme", "pw");
  clients.push(esme);
  return esme;
}

function messageIdOf(resp: Pdu): string {
  if (resp.command !== "submit_sm_resp" && resp.command !== "data_sm_resp") throw new Error(resp.command);
  return resp.message_id;
}

function receipts(esme: TestEsme) {
  return esme.delivered.flatMap((p) =>
    p.command === "deliver_sm" ? [{ pdu: p, receipt: parseReceipt(p) }] : [],
  );
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
});

describe("submit_sm_resp and receipts", () => {
  test("unique hex ids; a receipt with text and TLVs, addresses swapped, when registered_delivery asks", async () => {
    const esme = await start();
    const a = await esme.submit({ registered_delivery: 1, short_message: Buffer.from("first message") });
    const b = await esme.submit({ registered_delivery: 0 });
    const c = await esme.submit({ registered_delivery: 1, short_message: Buffer.from("third") });
    const ids = [a, b, c].map(messageIdOf);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]+$/);
    await esme.until(() => esme.delivered.length >= 2);
    const got = receipts(esme);
    expect(got.map((r) => r.receipt.messageId)).toEqual([ids[0], ids[2]]);
    const first = got[0];
    expect(first?.pdu).toMatchObject({
      esm_class: 0x04,
      source_addr: "447700900123",
      source_addr_ton: 1,
      destination_addr: "ACME",
      dest_addr_ton: 5,
      tlvs: { receipted_message_id: ids[0], message_state: 2 },
    });
    expect(first?.receipt).toMatchObject({ stat: "DELIVRD", final: true, err: "000", dlvrd: 1, sub: 1 });
    expect(first?.receipt.text).toBe("first message");
    expect(first?.pdu.command === "deliver_sm" && first.pdu.short_message.toString("latin1")).toMatch(
      /^id:[0-9a-f]+ sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} stat:DELIVRD err:000 text:first message$/,
    );
    await eventually(() => sim.stats().receiptsAcked === 2);
    expect(sim.stats()).toMatchObject({ receiptsSent: 2, receiptsAcked: 2, submitsAccepted: 3 });
  });

  test("decimal ids, and receipts in the other format name the same number", async () => {
    const esme = await start({ messageIdFormat: "decimal", receiptIdFormat: "other" });
    const id = messageIdOf(await esme.submit({ registered_delivery: 1 }));
    expect(id).toMatch(/^\d+$/);
    await esme.until(() => esme.delivered.length === 1);
    const [r] = receipts(esme);
    expect(r?.receipt.messageId).toMatch(/^[0-9a-f]+$/);
    expect(Number.parseInt(r?.receipt.messageId ?? "", 16)).toBe(Number(id));
  });

  test("outcome mix: a failure receipt carries stat, err, message_state and network_error_code", async () => {
    const esme = await start({ outcomes: { UNDELIV: 1 } });
    await esme.submit({ registered_delivery: 1 });
    await esme.until(() => esme.delivered.length === 1);
    const [r] = receipts(esme);
    expect(r?.receipt).toMatchObject({ stat: "UNDELIV", state: 5, dlvrd: 0, err: "001" });
    expect(r?.pdu.tlvs?.network_error_code).toEqual({ network_type: 3, error_code: 1 });
  });

  test("outcomes are drawn with the configured weights", async () => {
    const draws = [0.1, 0.6, 0.9];
    const esme = await start({
      outcomes: { DELIVRD: 1, EXPIRED: 1, REJECTD: 1 },
      random: () => draws.shift() ?? 0,
    });
    for (let i = 0; i < 3; i++) await esme.submit({ registered_delivery: 1 });
    await esme.until(() => esme.delivered.length === 3);
    expect(receipts(esme).map((r) => r.receipt.stat)).toEqual(["DELIVRD", "EXPIRED", "REJECTD"]);
  });

  test("registered_delivery 2 (failure only) sends no receipt for a delivered message", async () => {
    const esme = await start();
    const skipped = messageIdOf(await esme.submit({ registered_delivery: 2 }));
    const marker = messageIdOf(await esme.submit({ registered_delivery: 1 }));
    // Same delay, FIFO: had the first produced a receipt, it would have come before the marker's.
    await esme.until(() => esme.delivered.length >= 1);
    expect(receipts(esme).map((r) => r.receipt.messageId)).toEqual([marker]);
    expect(skipped).not.toBe(marker);
  });

  test("jitter reorders receipts", async () => {
    const draws = [0.99, 0.0];
    const esme = await start({ dlrDelayMs: 10, dlrJitterMs: 300, random: () => draws.shift() ?? 0 });
    const first = messageIdOf(await esme.submit({ registered_delivery: 1 }));
    const second = messageIdOf(await esme.submit({ registered_delivery: 1 }));
    await esme.until(() => esme.delivered.length === 2);
    expect(receipts(esme).map((r) => r.receipt.messageId)).toEqual([second, first]);
  });

  test("a receipt goes to a receiver bind of the same system_id, not back to the transmitter", async () => {
    sim = await Simulator.start({ dlrDelayMs: 0 });
    const tx = (await TestEsme.bound(sim.port, "bind_transmitter", "acme", "pw")).esme;
    const rx = (await TestEsme.bound(sim.port, "bind_receiver", "acme", "pw")).esme;
    const other = (await TestEsme.bound(sim.port, "bind_receiver", "someone-else", "pw")).esme;
    clients.push(tx, rx, other);
    const id = messageIdOf(await tx.submit({ registered_delivery: 1 }));
    await rx.until(() => rx.delivered.length === 1);
    expect(receipts(rx)[0]?.receipt.messageId).toBe(id);
    expect(tx.delivered).toEqual([]);
    expect(other.delivered).toEqual([]);
  });

  test("the submit's record names the connection that took its receipt", async () => {
    sim = await Simulator.start({ dlrDelayMs: 0 });
    const tx = (await TestEsme.bound(sim.port, "bind_transmitter", "acme", "pw")).esme;
    const rx = (await TestEsme.bound(sim.port, "bind_receiver", "acme", "pw")).esme;
    clients.push(tx, rx);
    const idOf = (esme: TestEsme) =>
      sim.sessions().find((s) => s.remoteAddress.endsWith(`:${esme.socket.localPort}`))?.id;
    rx.deliverStatus = null;
    await tx.submit({ registered_delivery: 1, short_message: Buffer.from("where did it go") });
    await rx.until(() => rx.delivered.length === 1);
    const record = () => sim.submits.list().find((r) => r.text === "where did it go");
    // Not answered yet: not taken.
    expect(record()?.receiptSessionId).toBeUndefined();
    const [deliver] = rx.delivered;
    if (deliver === undefined) throw new Error("no deliver_sm");
    rx.connection.send({
      command: "deliver_sm_resp",
      command_status: 0,
      sequence_number: deliver.sequence_number,
      message_id: "",
    });
    await eventually(() => record()?.receiptSessionId !== undefined);
    expect(record()?.sessionId).toBe(idOf(tx));
    expect(record()?.receiptSessionId).toBe(idOf(rx));
  });

  test("a receipt waits in the inbox when no receiver is bound", async () => {
    sim = await Simulator.start({ dlrDelayMs: 0 });
    const tx = (await TestEsme.bound(sim.port, "bind_transmitter", "acme", "pw")).esme;
    clients.push(tx);
    const id = messageIdOf(await tx.submit({ registered_delivery: 1 }));
    await eventually(() => sim.held("acme") === 1);
    const rx = (await TestEsme.bound(sim.port, "bind_receiver", "acme", "pw")).esme;
    clients.push(rx);
    await rx.until(() => rx.delivered.length === 1);
    expect(receipts(rx)[0]?.receipt.messageId).toBe(id);
    expect(sim.held()).toBe(0);
  });
});

describe("what the simulator records", () => {
  test("UDH segments, SAR segments and message_payload, decoded", async () => {
    const esme = await start();
    const long = "All work and no play makes Jack a dull boy. ".repeat(5);
    for (const mode of ["udh8", "udh16", "sar"] as const) {
      const seg = segmentText(long, { encoding: "gsm7", mode, reference: 0x4142 });
      for (const part of seg.parts) {
        const resp = await esme.submit({
          esm_class: part.udhi ? 0x40 : 0,
          data_coding: seg.dataCoding,
          short_message: part.shortMessage,
          ...(part.tlvs ? { tlvs: { ...part.tlvs } } : {}),
        });
        expect(resp.command_status).toBe(0);
      }
    }
    await esme.submit({ short_message: Buffer.alloc(0), tlvs: { message_payload: Buffer.from(long) } });
    const records = sim.submits.list();
    expect(records).toHaveLength(3 * 2 + 1);
    expect(records.slice(0, 2).map((r) => r.concat)).toEqual([
      { scheme: "udh8", ref: 0x42, total: 2, seq: 1 },
      { scheme: "udh8", ref: 0x42, total: 2, seq: 2 },
    ]);
    expect(records[0]?.udh?.toString("hex")).toBe("050003420201");
    expect(records[2]?.concat).toEqual({ scheme: "udh16", ref: 0x4142, total: 2, seq: 1 });
    expect(records[4]?.concat).toEqual({ scheme: "sar", ref: 0x4142, total: 2, seq: 1 });
    expect(records[4]?.udh).toBeUndefined();
    for (let i = 0; i < 6; i += 2) expect(`${records[i]?.text}${records[i + 1]?.text}`).toBe(long);
    expect(records[6]?.text).toBe(long);
    expect(records.every((r) => r.systemId === "acme" && r.messageId !== "")).toBe(true);
  });

  test("duplicates are found; recording can be off", async () => {
    const esme = await start();
    await esme.submit({ short_message: Buffer.from("same") });
    await esme.submit({ short_message: Buffer.from("other") });
    await esme.submit({ short_message: Buffer.from("same") });
    const dups = sim.submits.duplicates();
    expect(dups).toHaveLength(1);
    expect(dups[0]?.map((r) => r.text)).toEqual(["same", "same"]);
    await sim.close();
    const quiet = await start({ recordSubmits: 0 });
    expect((await quiet.submit()).command_status).toBe(0);
    expect(sim.submits.list()).toEqual([]);
    expect(sim.stats().submitsAccepted).toBe(1);
  });

  test("a submit with an empty destination is ESME_RINVDSTADR", async () => {
    const esme = await start();
    expect((await esme.submit({ destination_addr: "" })).command_status).toBe(0x0b);
  });
});

describe("data_sm and query_sm", () => {
  test("data_sm is answered with an id and gets a receipt", async () => {
    const esme = await start();
    const resp = await esme.request({
      command: "data_sm",
      command_status: 0,
      sequence_number: 0,
      service_type: "",
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: "ACME",
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: "447700900123",
      esm_class: 0,
      registered_delivery: 1,
      data_coding: 0,
      tlvs: { message_payload: Buffer.from("via data-sm") },
    });
    expect(resp).toMatchObject({ command: "data_sm_resp", command_status: 0 });
    await esme.until(() => esme.delivered.length === 1);
    expect(receipts(esme)[0]?.receipt).toMatchObject({ messageId: messageIdOf(resp), text: "via data-sm" });
    expect(sim.submits.list()[0]).toMatchObject({ command: "data_sm", text: "via data-sm" });
  });

  test("query_sm reports en route, then the final state with its date", async () => {
    sim = await Simulator.start({ dlrDelayMs: 300, outcomes: { EXPIRED: 1 } });
    const { esme } = await TestEsme.bound(sim.port);
    clients.push(esme);
    const id = messageIdOf(await esme.submit({ registered_delivery: 1 }));
    const query = () =>
      esme.request({
        command: "query_sm",
        command_status: 0,
        sequence_number: 0,
        message_id: id,
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: "ACME",
      });
    expect(await query()).toMatchObject({
      command: "query_sm_resp",
      command_status: 0,
      message_state: 1,
      final_date: "",
    });
    await esme.until(() => esme.delivered.length === 1);
    const final = await query();
    expect(final).toMatchObject({ command_status: 0, message_id: id, message_state: 3, error_code: 27 });
    expect(final.command === "query_sm_resp" && final.final_date).toMatch(/^\d{12}\d00\+$/);
  });
});
