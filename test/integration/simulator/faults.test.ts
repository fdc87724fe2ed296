/**
 * Fault injection over real sockets (the modes the client-session tests do not already drive):
 * throttling above a rate, submit errors, dropping after N PDUs, refused binds, garbage, live switching.
 */
import { afterEach, describe, expect, test } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import { FramingError } from "../../../src/smpp/errors.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { submitSm, TestEsme } from "./esme.js";

let sim: Simulator | undefined;
const clients: TestEsme[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = undefined;
});

async function start(faults: Parameters<Simulator["setFaults"]>[0]): Promise<Simulator> {
  sim = await Simulator.start({ accounts: [{ systemId: "acme", password: "pw" }], recordSubmits: 0, faults });
  return sim;
}

async function bound(port: number): Promise<TestEsme> {
  const { esme, resp } = await TestEsme.bound(port, "bind_transceiver", "acme", "pw");
  clients.push(esme);
  expect(resp.command_status).toBe(0);
  return esme;
}

describe("fault injection", () => {
  test("throttle above a rate: a burst beyond it is answered ESME_RTHROTTLED, the rest accepted", async () => {
    const s = await start({ throttleRate: 20 });
    const esme = await bound(s.port);
    const statuses = (await Promise.all(Array.from({ length: 60 }, () => esme.submit()))).map(
      (r) => r.command_status,
    );
    const throttled = statuses.filter((st) => st === CommandStatus.ESME_RTHROTTLED).length;
    const accepted = statuses.filter((st) => st === 0).length;
    // The bucket holds one second of tokens (20), plus whatever refilled while the burst was answered.
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(accepted).toBeLessThan(30);
    expect(accepted + throttled).toBe(60);
    expect(s.stats()).toMatchObject({ throttled, submitsAccepted: accepted });
  });

  test("a fraction of submits answered with the configured error status", async () => {
    const s = await start({ submitErrorFraction: 1, submitErrorStatus: CommandStatus.ESME_RSUBMITFAIL });
    const esme = await bound(s.port);
    expect((await esme.submit()).command_status).toBe(CommandStatus.ESME_RSUBMITFAIL);
    s.setFaults({ submitErrorFraction: 0 });
    expect((await esme.submit()).command_status).toBe(0);
    expect(s.stats()).toMatchObject({ submitErrors: 1, submitsAccepted: 1 });
  });

  test("drop after N PDUs: the connection is cut at the Nth, which is not answered", async () => {
    const s = await start({ dropAfterPdus: 3 });
    const esme = await bound(s.port); // PDU 1
    expect((await esme.submit()).command_status).toBe(0); // PDU 2
    const third = esme.send(submitSm()); // PDU 3: cut
    await esme.until(() => esme.closed);
    expect(esme.received.some((p) => p.sequence_number === third)).toBe(false);
    expect(s.stats().dropped).toBe(1);
  });

  test("refused binds: every bind gets the configured status until switched off", async () => {
    const s = await start({ refuseBindsStatus: CommandStatus.ESME_RBINDFAIL });
    const first = await TestEsme.bound(s.port, "bind_transceiver", "acme", "pw");
    clients.push(first.esme);
    expect(first.resp.command_status).toBe(CommandStatus.ESME_RBINDFAIL);
    expect(s.failedBinds().at(-1)).toMatchObject({ system_id: "acme", status_name: "ESME_RBINDFAIL" });
    s.setFaults({ refuseBindsStatus: 0 });
    expect((await first.esme.bind("bind_transceiver", "acme", "pw")).command_status).toBe(0);
  });

  test("garbage: the answer is not a PDU, so the ESME's framer gives up on the connection", async () => {
    const s = await start({ garbageFraction: 1 });
    const esme = await TestEsme.connect(s.port);
    clients.push(esme);
    void esme.bind("bind_transceiver", "acme", "pw"); // answered with garbage: never settles
    await esme.until(() => esme.closed);
    expect(esme.closeError).toBeInstanceOf(FramingError);
    expect(esme.received).toEqual([]);
    expect(s.stats().garbage).toBe(1);
  });
});
