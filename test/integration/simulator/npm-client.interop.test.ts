/**
 * The npm `smpp` package's CLIENT against our simulator: an independent ESME implementation, so a bug
 * shared by our codec and our server session cannot make these pass.
 */
import { createRequire } from "node:module";
import { afterEach, describe, expect, test } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { eventually } from "./esme.js";

/** The parts of an npm `smpp` PDU these tests read. */
interface NpmPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  system_id?: string;
  message_id?: string;
  esm_class?: number;
  data_coding?: number;
  source_addr?: string;
  destination_addr?: string;
  short_message?: { message?: string | Buffer; udh?: Buffer[] } | Buffer;
  receipted_message_id?: string;
  message_state?: number;
  response(options?: Record<string, unknown>): NpmPdu;
}

type Callback = (pdu: NpmPdu) => void;

/** The parts of an npm `smpp` client session these tests use. */
interface NpmSession {
  on(event: string, listener: (pdu: NpmPdu) => void): void;
  once(event: "close" | "connect" | "error", listener: () => void): void;
  send(pdu: NpmPdu): boolean;
  bind_transceiver(options: Record<string, unknown>, callback: Callback): boolean;
  bind_receiver(options: Record<string, unknown>, callback: Callback): boolean;
  submit_sm(options: Record<string, unknown>, callback: Callback): boolean;
  enquire_link(callback: Callback): boolean;
  unbind(callback: Callback): boolean;
  destroy(): void;
}

interface NpmSmpp {
  connect(options: { host: string; port: number }): NpmSession;
}

const smpp = createRequire(import.meta.url)("smpp") as NpmSmpp;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: ConstructorParameters<typeof Simulator>[0] = {}): Promise<Simulator> {
  const sim = await Simulator.start({
    accounts: [{ systemId: "npmesme", password: "secret" }],
    dlrDelayMs: 0,
    ...options,
  });
  cleanups.push(() => sim.close());
  return sim;
}

/** An npm `smpp` client connected to `port`; collects deliver_sm (answered ESME_ROK) and close. */
async function client(port: number) {
  const session = smpp.connect({ host: "127.0.0.1", port });
  const state = { delivered: [] as NpmPdu[], unbinds: 0, closed: false };
  session.on("error", () => undefined);
  session.on("deliver_sm", (pdu) => {
    state.delivered.push(pdu);
    session.send(pdu.response());
  });
  session.on("unbind", (pdu) => {
    state.unbinds++;
    session.send(pdu.response());
  });
  session.once("close", () => {
    state.closed = true;
  });
  await new Promise<void>((resolve) => session.once("connect", resolve));
  cleanups.push(() => session.destroy());
  /** Calls `send(cb)` and resolves with the response PDU the library hands to `cb`. */
  const call = (send: (cb: Callback) => void): Promise<NpmPdu> =>
    new Promise<NpmPdu>((resolve) => send(resolve));
  return { session, state, call };
}

function text(pdu: NpmPdu | undefined): string {
  const sm = pdu?.short_message;
  if (sm === undefined || Buffer.isBuffer(sm)) return sm?.toString("latin1") ?? "";
  const message = sm.message;
  return Buffer.isBuffer(message) ? message.toString("latin1") : (message ?? "");
}

const submit = {
  source_addr: "NpmEsme",
  destination_addr: "447700900123",
  registered_delivery: 1,
  short_message: "hello from the npm client",
};

describe("the npm `smpp` client against our simulator", () => {
  test("binds as transceiver, submits, and gets a receipt naming the message id, which it answers", async () => {
    const sim = await simulator();
    const { session, state, call } = await client(sim.port);
    const bind = await call((cb) =>
      session.bind_transceiver({ system_id: "npmesme", password: "secret", interface_version: 0x34 }, cb),
    );
    expect(bind).toMatchObject({ command: "bind_transceiver_resp", command_status: 0, system_id: "SMPPSIM" });

    const resp = await call((cb) => session.submit_sm(submit, cb));
    expect(resp).toMatchObject({ command: "submit_sm_resp", command_status: 0 });
    expect(resp.message_id).toMatch(/^[0-9a-f]+$/);
    const again = await call((cb) => session.submit_sm({ ...submit, registered_delivery: 0 }, cb));
    expect(again.message_id).not.toBe(resp.message_id);

    await eventually(() => state.delivered.length === 1);
    const receipt = state.delivered[0];
    expect(receipt).toMatchObject({
      esm_class: 0x04,
      source_addr: "447700900123",
      destination_addr: "NpmEsme",
      receipted_message_id: resp.message_id,
      message_state: 2,
    });
    expect(text(receipt)).toMatch(
      new RegExp(`^id:${resp.message_id} sub:001 dlvrd:001 .* stat:DELIVRD err:000`),
    );
    // The library answered it; the simulator counts the acknowledgement.
    await eventually(() => sim.stats().receiptsAcked === 1);
    expect(sim.stats()).toMatchObject({ submitsAccepted: 2, receiptsSent: 1 });
  });

  test("enquire_link is answered before and after the bind", async () => {
    const sim = await simulator();
    const { session, call } = await client(sim.port);
    expect(await call((cb) => session.enquire_link(cb))).toMatchObject({
      command: "enquire_link_resp",
      command_status: 0,
    });
    await call((cb) => session.bind_transceiver({ system_id: "npmesme", password: "secret" }, cb));
    const resp = await call((cb) => session.enquire_link(cb));
    expect(resp).toMatchObject({ command: "enquire_link_resp", command_status: 0 });
  });

  test("unbind from the client is answered, then the simulator closes the connection", async () => {
    const sim = await simulator();
    const { session, state, call } = await client(sim.port);
    await call((cb) => session.bind_transceiver({ system_id: "npmesme", password: "secret" }, cb));
    expect(sim.stats().bound).toBe(1);
    const resp = await call((cb) => session.unbind(cb));
    expect(resp).toMatchObject({ command: "unbind_resp", command_status: 0 });
    await eventually(() => state.closed);
    await eventually(() => sim.stats().connections === 0);
    expect(sim.stats().bound).toBe(0);
  });

  test("unbind from the simulator (close) reaches the client, which answers it", async () => {
    const sim = await simulator();
    const { session, state, call } = await client(sim.port);
    await call((cb) => session.bind_transceiver({ system_id: "npmesme", password: "secret" }, cb));
    await sim.close();
    expect(state.unbinds).toBe(1);
    await eventually(() => state.closed);
  });

  test("a wrong password is refused; a receiver bind gets an injected UCS-2 SMS and may not submit", async () => {
    const sim = await simulator();
    const { session, state, call } = await client(sim.port);
    const refused = await call((cb) =>
      session.bind_receiver({ system_id: "npmesme", password: "wrong" }, cb),
    );
    expect(refused.command_status).toBe(CommandStatus.ESME_RINVPASWD);
    // The refused bind left the connection open for another try.
    const bound = await call((cb) => session.bind_receiver({ system_id: "npmesme", password: "secret" }, cb));
    expect(bound).toMatchObject({ command: "bind_receiver_resp", command_status: 0 });

    const denied = await call((cb) => session.submit_sm(submit, cb));
    expect(denied.command_status).toBe(CommandStatus.ESME_RINVBNDSTS);

    sim.injectMo({ from: "447700900777", to: "12345", text: "Привет" });
    await eventually(() => state.delivered.length === 1);
    const mo = state.delivered[0];
    expect(mo).toMatchObject({ source_addr: "447700900777", destination_addr: "12345", data_coding: 8 });
    expect(mo?.short_message).toMatchObject({ message: "Привет" });
    await eventually(() => sim.stats().moAcked === 1);
  });
});
