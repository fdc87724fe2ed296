/** Inbound SMS (MO) through the simulator over real sockets: concatenation, load spreading, the inbox. */
import { afterEach, describe, expect, test } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import type { Pdu, PduOf } from "../../../src/smpp/pdu.js";
import { reassemble } from "../../../src/smpp/text/reassemble.js";
import { extractConcatInfo } from "../../../src/smpp/text/user-data.js";
import { eventually, TestEsme } from "./esme.js";

let sim: Simulator | undefined;
const clients: TestEsme[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = undefined;
});

async function start(options: ConstructorParameters<typeof Simulator>[0] = {}): Promise<Simulator> {
  sim = await Simulator.start({
    accounts: [
      { systemId: "acme", password: "pw" },
      { systemId: "other", password: "pw" },
    ],
    ...options,
  });
  return sim;
}

async function bind(
  port: number,
  command: "bind_transmitter" | "bind_receiver" | "bind_transceiver",
  systemId = "acme",
): Promise<TestEsme> {
  const { esme, resp } = await TestEsme.bound(port, command, systemId, "pw");
  clients.push(esme);
  expect(resp.command_status).toBe(0);
  return esme;
}

function deliverSms(esme: TestEsme): PduOf<"deliver_sm">[] {
  return esme.delivered.filter((p: Pdu): p is PduOf<"deliver_sm"> => p.command === "deliver_sm");
}

/** The text of a set of segments, reassembled as the bridge would. */
function reassembled(parts: PduOf<"deliver_sm">[]): string {
  const collected = parts.map((pdu) => {
    const info = extractConcatInfo(pdu);
    if (info === null) throw new Error("not a segment");
    return { ...info, data: info.body, dataCoding: pdu.data_coding };
  });
  const result = reassemble(collected);
  if (!result.complete) throw new Error(`missing ${result.missing.join(",")}`);
  return result.text;
}

describe("inbound SMS injection", () => {
  test("long GSM and UCS-2 texts arrive as UDH segments that reassemble to the original", async () => {
    const s = await start();
    const rx = await bind(s.port, "bind_receiver");
    const gsm = "Your parcel is on its way; track it with the code below. ".repeat(4);
    const ucs2 = "Привет! Ваш заказ 🚚 уже в пути — код для отслеживания ниже. ".repeat(3);

    expect(s.injectMo({ from: "447700900001", to: "12345", text: gsm })).toEqual({ parts: 2, systemId: "*" });
    const ucs2Result = s.injectMo({ from: "447700900002", to: "12345", text: ucs2, systemId: "acme" });
    expect(ucs2Result.parts).toBeGreaterThan(1);
    const total = 2 + ucs2Result.parts;
    await eventually(() => deliverSms(rx).length === total);

    const all = deliverSms(rx);
    const fromGsm = all.filter((p) => p.source_addr === "447700900001");
    const fromUcs2 = all.filter((p) => p.source_addr === "447700900002");
    expect(fromGsm.every((p) => p.data_coding === 0 && (p.esm_class & 0x40) !== 0)).toBe(true);
    expect(fromUcs2.every((p) => p.data_coding === 8 && p.destination_addr === "12345")).toBe(true);
    expect(reassembled(fromGsm)).toBe(gsm);
    expect(reassembled(fromUcs2)).toBe(ucs2);
    await eventually(() => s.stats().moAcked === total);
  });

  test("spread over the system_id's receiver and transceiver binds; never to a transmitter or another account", async () => {
    const s = await start();
    const rx = await bind(s.port, "bind_receiver");
    const trx = await bind(s.port, "bind_transceiver");
    const tx = await bind(s.port, "bind_transmitter");
    const stranger = await bind(s.port, "bind_receiver", "other");
    for (let i = 0; i < 10; i++)
      s.injectMo({ from: "447700900003", to: "12345", text: `m${i}`, systemId: "acme" });
    await eventually(() => deliverSms(rx).length + deliverSms(trx).length === 10);
    expect(deliverSms(rx).length).toBeGreaterThanOrEqual(3);
    expect(deliverSms(trx).length).toBeGreaterThanOrEqual(3);
    expect(deliverSms(tx)).toEqual([]);
    expect(deliverSms(stranger)).toEqual([]);
  });

  test("held in the inbox while no receiver is bound, delivered in order once one binds", async () => {
    const s = await start();
    const tx = await bind(s.port, "bind_transmitter");
    for (const text of ["first", "second", "third"]) {
      s.injectMo({ from: "447700900004", to: "12345", text, systemId: "acme" });
    }
    expect(s.held("acme")).toBe(3);
    expect(s.stats()).toMatchObject({ held: 3, moSent: 0 });
    const rx = await bind(s.port, "bind_receiver");
    await eventually(() => deliverSms(rx).length === 3);
    expect(deliverSms(rx).map((p) => p.short_message.toString("latin1"))).toEqual([
      "first",
      "second",
      "third",
    ]);
    expect(s.held("acme")).toBe(0);
    expect(deliverSms(tx)).toEqual([]);
  });

  test("an MO the ESME answers ESME_RX_T_APPN is delivered again after the retry delay", async () => {
    const s = await start({ deliveryRetryDelayMs: 20 });
    const rx = await bind(s.port, "bind_receiver");
    rx.deliverStatus = 0x64; // ESME_RX_T_APPN: "could not store it now"
    s.injectMo({ from: "447700900005", to: "12345", text: "try again", systemId: "acme" });
    await eventually(() => deliverSms(rx).length === 1);
    rx.deliverStatus = 0;
    await eventually(() => deliverSms(rx).length === 2);
    expect(deliverSms(rx)[1]?.short_message.toString("latin1")).toBe("try again");
    await eventually(() => s.stats().moAcked === 1);
  });
});
