/**
 * The receipt, inbound, throttling and backlog metrics of the running service, scraped from GET /metrics
 * while real traffic goes through the simulator: receipts matched on arrival, held (the upstream's
 * message_id_format set wrong) and matched late (set right again); inbound SMS to a registered number
 * and to none; a simulator that throttles every submit; a scheduled message; a malformed TLV. Last, the
 * database goes away and the scrape still answers, with the last counts it read.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMo } from "../../../src/simulator/mo.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import type { PduOf } from "../../../src/smpp/pdu.js";
import { TlvTag } from "../../../src/smpp/tlv.js";
import { call, type Provisioned, provision, startTestService, type TestService, waitFor } from "./harness.js";

const SYSTEM_ID = "bridge";
const PASSWORD = `p${randomBytes(4).toString("hex").slice(0, 7)}`;
const NUMBER = "+447700900661";
const UNKNOWN_NUMBER = "+447700900662";

/** The value of one series in a Prometheus text exposition; undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe("receipt, inbound, throttling and backlog metrics", () => {
  let simulator: Simulator;
  let t: TestService;
  let p: Provisioned;
  let databaseClosed = false;

  const scrape = async (): Promise<string> => {
    const response = await call(t.service.url, "GET", "/metrics", null);
    expect(response.status).toBe(200);
    return String(response.body);
  };
  const metric = async (series: string) => sample(await scrape(), series);
  const send = async (body: Record<string, unknown>): Promise<string> => {
    const sent = await call(t.service.url, "POST", "/v1/messages", p.apiKey, body);
    expect(sent.status).toBe(202);
    return (sent.body as { id: string }).id;
  };
  const statusOf = async (id: string) =>
    ((await call(t.service.url, "GET", `/v1/messages/${id}`, p.apiKey)).body as { status: string }).status;
  const setFormat = async (format: string) => {
    const patched = await call(
      t.service.url,
      "PATCH",
      `/admin/upstreams/${p.upstreamId}`,
      t.config.adminToken,
      {
        message_id_format: format,
      },
    );
    expect(patched.status).toBe(200);
    await waitFor(
      () => t.service.runtime.get(p.upstreamId)?.config.message_id_format === format,
      `message_id_format ${format} applied`,
    );
  };

  beforeAll(async () => {
    // Ids in hex in submit_sm_resp, in decimal in receipts: only `auto` matches them.
    simulator = await Simulator.start({
      accounts: [{ systemId: SYSTEM_ID, password: PASSWORD }],
      dlrDelayMs: 50,
      receiptIdFormat: "other",
    });
    t = await startTestService({ dispatcher: { retry: { backoffBaseMs: 100, backoffMaxMs: 500 } } });
    p = await provision(t.service.url, t.config.adminToken, simulator, {
      systemId: SYSTEM_ID,
      password: PASSWORD,
    });
    const registered = await call(t.service.url, "POST", "/admin/numbers", t.config.adminToken, {
      number: NUMBER,
      account_id: p.accountId,
    });
    expect(registered.status).toBe(201);
  });

  afterAll(async () => {
    await t?.service.stop("test over");
    if (!databaseClosed) await t?.database.close();
    await simulator?.close();
  });

  it("counts receipts matched on arrival, held unmatched, and matched late, and gauges the waiting ones", async () => {
    const first = await send({ to: "+447700900123", text: "matched on arrival" });
    await waitFor(async () => (await statusOf(first)) === "delivered", "the first message delivered");
    expect(await metric('smpp_bridge_receipts_total{upstream="sim",outcome="matched"}')).toBe(1);
    expect(await metric('smpp_bridge_receipts_unmatched{upstream="sim"}')).toBe(0);

    // Set wrong, the decimal id in the receipt names no part: the receipt waits.
    await setFormat("hex");
    const acked = simulator.stats().receiptsAcked;
    const second = await send({ to: "+447700900124", text: "held" });
    await waitFor(() => simulator.stats().receiptsAcked > acked, "the second receipt acknowledged");
    let text = await scrape();
    expect(sample(text, 'smpp_bridge_receipts_total{upstream="sim",outcome="held"}')).toBe(1);
    expect(sample(text, 'smpp_bridge_receipts_total{upstream="sim",outcome="matched"}')).toBe(1);
    expect(sample(text, 'smpp_bridge_receipts_unmatched{upstream="sim"}')).toBe(1);
    expect(await statusOf(second)).toBe("sent");

    // Set right again, the sweeper matches it.
    await setFormat("auto");
    await waitFor(async () => {
      await t.service.receipts.sweep();
      return (await statusOf(second)) === "delivered";
    }, "the held receipt matched");
    text = await scrape();
    expect(sample(text, 'smpp_bridge_receipts_total{upstream="sim",outcome="matched_late"}')).toBe(1);
    expect(sample(text, 'smpp_bridge_receipts_total{upstream="sim",outcome="held"}')).toBe(1);
    expect(sample(text, 'smpp_bridge_receipts_unmatched{upstream="sim"}')).toBe(0);
  });

  it("counts a receipt that outran its submit_sm_resp as held, then matched late when the id is stored", async () => {
    // The receipt comes 50 ms after the submit, the submit_sm_resp 500 ms after it.
    simulator.setFaults({ responseDelayMs: 500 });
    try {
      const id = await send({ to: "+447700900127", text: "receipt first" });
      await waitFor(async () => (await statusOf(id)) === "delivered", "the message delivered");
    } finally {
      simulator.clearFaults();
    }
    const text = await scrape();
    expect(sample(text, 'smpp_bridge_receipts_total{upstream="sim",outcome="held"}')).toBe(2);
    expect(sample(text, 'smpp_bridge_receipts_total{upstream="sim",outcome="matched_late"}')).toBe(2);
    expect(sample(text, 'smpp_bridge_receipts_unmatched{upstream="sim"}')).toBe(0);
  });

  it("counts inbound SMS by upstream, routed to an account or not", async () => {
    simulator.injectMo({ from: "447700900111", to: NUMBER.slice(1), text: "for the account" });
    simulator.injectMo({ from: "447700900111", to: UNKNOWN_NUMBER.slice(1), text: "for nobody" });
    await waitFor(async () => {
      const text = await scrape();
      return (
        sample(text, 'smpp_bridge_inbound_messages_total{upstream="sim",routed="true"}') === 1 &&
        sample(text, 'smpp_bridge_inbound_messages_total{upstream="sim",routed="false"}') === 1
      );
    }, "one routed and one unrouted inbound SMS counted");
  });

  it("counts every throttled answer, and shows the message waiting in the backlog meanwhile", async () => {
    simulator.setFaults({ throttleFraction: 1 });
    const id = await send({ to: "+447700900125", text: "throttled at first" });
    let waiting = 0;
    await waitFor(async () => {
      const text = await scrape();
      waiting =
        (sample(text, 'smpp_bridge_messages_backlog{status="queued"}') ?? 0) +
        (sample(text, 'smpp_bridge_messages_backlog{status="sending"}') ?? 0);
      return simulator.stats().throttled >= 2;
    }, "two throttled answers");
    expect(waiting).toBe(1);
    simulator.clearFaults();
    await waitFor(async () => (await statusOf(id)) === "delivered", "the throttled message delivered");
    await waitFor(
      async () =>
        (await metric('smpp_bridge_upstream_throttled_total{upstream="sim"}')) ===
        simulator.stats().throttled,
      "every throttled answer counted",
    );
    const text = await scrape();
    expect(sample(text, 'smpp_bridge_messages_backlog{status="queued"}')).toBe(0);
    expect(sample(text, 'smpp_bridge_messages_backlog{status="sending"}')).toBe(0);
  });

  it("gauges scheduled messages apart from those to send now", async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await send({ to: "+447700900126", text: "later", send_at: later });
    const text = await scrape();
    expect(sample(text, 'smpp_bridge_messages_backlog{status="scheduled"}')).toBe(1);
    expect(sample(text, 'smpp_bridge_messages_backlog{status="queued"}')).toBe(0);
  });

  it("counts a known TLV of the wrong length, once per tag per connection", async () => {
    const [mo] = buildMo({ from: "447700900111", to: NUMBER.slice(1), text: "sloppy SMSC" }, 1);
    if (mo === undefined) throw new Error("no MO");
    const sloppy: PduOf<"deliver_sm"> = {
      ...mo,
      sequence_number: 0,
      tlvs: { unknown: [{ tag: TlvTag.message_state, value: Buffer.from([0, 2]) }] },
    };
    simulator.injectDeliverSm([sloppy, { ...sloppy, short_message: Buffer.from("sloppy again") }]);
    await waitFor(
      async () => (await metric('smpp_bridge_inbound_messages_total{upstream="sim",routed="true"}')) === 3,
      "both SMS stored",
    );
    expect(await metric('smpp_bridge_smpp_malformed_tlvs_total{upstream="sim"}')).toBe(1);
  });

  it("still answers the scrape with the database closed, with the last counts read", async () => {
    const before = await scrape();
    expect(sample(before, 'smpp_bridge_messages_backlog{status="scheduled"}')).toBe(1);
    await t.database.close();
    databaseClosed = true;
    const after = await scrape();
    for (const series of [
      'smpp_bridge_messages_backlog{status="scheduled"}',
      'smpp_bridge_receipts_unmatched{upstream="sim"}',
      'smpp_bridge_receipts_total{upstream="sim",outcome="matched"}',
      'smpp_bridge_inbound_messages_total{upstream="sim",routed="true"}',
    ]) {
      expect(sample(after, series), series).toBeDefined();
      expect(sample(after, series), series).toBe(sample(before, series));
    }
  });
});
