import { connect } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import type { SimulatorLogger } from "../../../src/simulator/options.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { eventually, submitSm, TestEsme } from "./esme.js";

const ACCOUNTS = [
  { systemId: "acme", password: "secret" },
  { systemId: "pair", password: "pw", maxBinds: 2 },
  { systemId: "frozen", password: "pw", disabled: true },
];

let sim: Simulator;
const clients: TestEsme[] = [];

async function bound(
  command: "bind_transmitter" | "bind_receiver" | "bind_transceiver",
  systemId = "acme",
  password = "secret",
) {
  const result = await TestEsme.bound(sim.port, command, systemId, password);
  clients.push(result.esme);
  return result;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
});

describe("binds", () => {
  test.each([
    ["bind_transmitter", "transmitter"],
    ["bind_receiver", "receiver"],
    ["bind_transceiver", "transceiver"],
  ] as const)("%s is accepted with the SMSC system_id and interface version 3.4", async (command, mode) => {
    sim = await Simulator.start({ accounts: ACCOUNTS, smscSystemId: "TESTSMSC" });
    const { resp } = await bound(command);
    expect(resp).toMatchObject({
      command: `${command}_resp`,
      command_status: 0,
      system_id: "TESTSMSC",
      tlvs: { sc_interface_version: 0x34 },
    });
    expect(sim.sessions()).toMatchObject([{ systemId: "acme", mode, state: "bound" }]);
    expect(sim.stats()).toMatchObject({
      bound: 1,
      receivers: mode === "transmitter" ? 0 : 1,
      bindsAccepted: 1,
    });
  });

  test("credential errors, logged without the password", async () => {
    const warnings: object[] = [];
    const logger: SimulatorLogger = { info: () => {}, warn: (obj) => warnings.push(obj) };
    sim = await Simulator.start({ accounts: ACCOUNTS, logger });
    expect((await bound("bind_transceiver", "nobody", "secret")).resp.command_status).toBe(
      CommandStatus.ESME_RINVSYSID,
    );
    expect((await bound("bind_transceiver", "acme", "wrongpw")).resp.command_status).toBe(
      CommandStatus.ESME_RINVPASWD,
    );
    expect((await bound("bind_receiver", "frozen", "pw")).resp.command_status).toBe(
      CommandStatus.ESME_RBINDFAIL,
    );
    expect(sim.failedBinds().map((f) => [f.system_id, f.mode, f.status_name])).toEqual([
      ["nobody", "transceiver", "ESME_RINVSYSID"],
      ["acme", "transceiver", "ESME_RINVPASWD"],
      ["frozen", "receiver", "ESME_RBINDFAIL"],
    ]);
    expect(warnings).toHaveLength(3);
    expect(JSON.stringify(warnings)).not.toContain("wrongpw");
    expect(sim.stats()).toMatchObject({ bindsRefused: 3, bound: 0 });
  });

  test("a refused bind leaves the connection open for another try", async () => {
    sim = await Simulator.start({ accounts: ACCOUNTS });
    const { esme, resp } = await bound("bind_transceiver", "acme", "wrong");
    expect(resp.command_status).toBe(CommandStatus.ESME_RINVPASWD);
    expect((await esme.bind("bind_transceiver", "acme", "secret")).command_status).toBe(0);
  });

  test("several binds per system_id up to its limit, then ESME_RALYBND; a freed slot binds again", async () => {
    sim = await Simulator.start({ accounts: ACCOUNTS });
    const first = await bound("bind_transceiver", "pair", "pw");
    const second = await bound("bind_receiver", "pair", "pw");
    const third = await bound("bind_transmitter", "pair", "pw");
    expect([first.resp.command_status, second.resp.command_status, third.resp.command_status]).toEqual([
      0,
      0,
      CommandStatus.ESME_RALYBND,
    ]);
    // another system_id is not affected
    expect((await bound("bind_transceiver")).resp.command_status).toBe(0);
    first.esme.close();
    await eventually(() => sim.stats().bound === 2);
    expect((await third.esme.bind("bind_transmitter", "pair", "pw")).command_status).toBe(0);
  });

  test("no accounts: any credentials bind, with the default limit per system_id", async () => {
    sim = await Simulator.start({ maxBindsPerSystemId: 1 });
    expect((await bound("bind_transceiver", "anyone", "anything")).resp.command_status).toBe(0);
    expect((await bound("bind_transceiver", "anyone", "else")).resp.command_status).toBe(
      CommandStatus.ESME_RALYBND,
    );
    expect((await bound("bind_transceiver", "someone", "x")).resp.command_status).toBe(0);
  });

  test("a second bind on a bound connection is ESME_RALYBND", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    expect((await esme.bind("bind_transceiver", "acme", "secret")).command_status).toBe(
      CommandStatus.ESME_RALYBND,
    );
  });
});

describe("bind modes and session PDUs", () => {
  test("submit before bind and on a receiver bind is ESME_RINVBNDSTS; transmitter and transceiver submit", async () => {
    sim = await Simulator.start();
    const unbound = await TestEsme.connect(sim.port);
    clients.push(unbound);
    expect((await unbound.submit()).command_status).toBe(CommandStatus.ESME_RINVBNDSTS);
    const rx = (await bound("bind_receiver", "r", "x")).esme;
    expect(await rx.submit()).toMatchObject({
      command: "submit_sm_resp",
      command_status: CommandStatus.ESME_RINVBNDSTS,
    });
    const tx = (await bound("bind_transmitter", "t", "x")).esme;
    expect((await tx.submit()).command_status).toBe(0);
    const trx = (await bound("bind_transceiver", "t", "x")).esme;
    expect((await trx.submit()).command_status).toBe(0);
    expect(sim.stats().submitsAccepted).toBe(2);
  });

  test("enquire_link is answered before and after bind", async () => {
    sim = await Simulator.start();
    const esme = await TestEsme.connect(sim.port);
    clients.push(esme);
    const link = { command: "enquire_link", command_status: 0, sequence_number: 0 } as const;
    expect(await esme.request({ ...link })).toMatchObject({
      command: "enquire_link_resp",
      command_status: 0,
    });
    await esme.bind("bind_transmitter", "a", "b");
    expect(await esme.request({ ...link })).toMatchObject({
      command: "enquire_link_resp",
      command_status: 0,
    });
  });

  test("the ESME's unbind is answered and the connection closed", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    const resp = await esme.request({ command: "unbind", command_status: 0, sequence_number: 0 });
    expect(resp).toMatchObject({ command: "unbind_resp", command_status: 0 });
    await esme.until(() => esme.closed);
    await eventually(() => sim.stats().connections === 0);
  });

  test("an unknown command id gets generic_nack ESME_RINVCMDID with its sequence number", async () => {
    sim = await Simulator.start();
    const esme = await TestEsme.connect(sim.port);
    clients.push(esme);
    const raw = Buffer.alloc(16);
    raw.writeUInt32BE(16, 0);
    raw.writeUInt32BE(0x00000077, 4);
    raw.writeUInt32BE(0, 8);
    raw.writeUInt32BE(4242, 12);
    esme.socket.write(raw);
    await esme.until(() => esme.received.length > 0);
    expect(esme.received[0]).toMatchObject({
      command: "generic_nack",
      command_status: CommandStatus.ESME_RINVCMDID,
      sequence_number: 4242,
    });
  });

  test("a malformed submit_sm gets submit_sm_resp with the decode error; the connection stays up", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    // A submit_sm whose body stops after service_type: too short for its mandatory fields.
    const raw = Buffer.from("0000001400000004000000000000006300414200", "hex");
    esme.socket.write(raw);
    await esme.until(() => esme.received.some((p) => p.sequence_number === 0x63));
    const resp = esme.received.find((p) => p.sequence_number === 0x63);
    expect(resp?.command).toBe("submit_sm_resp");
    expect(resp?.command_status).toBe(CommandStatus.ESME_RINVCMDLEN);
    expect((await esme.submit()).command_status).toBe(0);
  });

  test("a schedule_delivery_time or validity_period that is not SMPP time is ESME_RINVSCHED / ESME_RINVEXPIRY", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    const statuses = async (field: "schedule_delivery_time" | "validity_period") => [
      (await esme.submit({ [field]: "000001000000000R" })).command_status,
      (await esme.submit({ [field]: "491231235959000+" })).command_status,
      (await esme.submit({ [field]: "2401311305090000" })).command_status,
      (await esme.submit({ [field]: "241331130509000+" })).command_status,
    ];
    expect(await statuses("schedule_delivery_time")).toEqual([
      0,
      0,
      ...Array(2).fill(CommandStatus.ESME_RINVSCHED),
    ]);
    expect(await statuses("validity_period")).toEqual([
      0,
      0,
      ...Array(2).fill(CommandStatus.ESME_RINVEXPIRY),
    ]);
    expect(sim.stats().submitsAccepted).toBe(4);
  });

  test("deliver_sm from an ESME is refused with ESME_RINVCMDID", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    const resp = await esme.request({ ...submitSm(), command: "deliver_sm" });
    expect(resp).toMatchObject({ command: "deliver_sm_resp", command_status: CommandStatus.ESME_RINVCMDID });
  });

  test("cancel_sm and replace_sm are refused, query_sm of an unknown id fails", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    const cancel = await esme.request({
      command: "cancel_sm",
      command_status: 0,
      sequence_number: 0,
      service_type: "",
      message_id: "1",
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: "",
      dest_addr_ton: 0,
      dest_addr_npi: 0,
      destination_addr: "",
    });
    expect(cancel.command_status).toBe(CommandStatus.ESME_RCANCELFAIL);
    const query = await esme.request({
      command: "query_sm",
      command_status: 0,
      sequence_number: 0,
      message_id: "nonsense",
      source_addr_ton: 0,
      source_addr_npi: 0,
      source_addr: "",
    });
    expect(query).toMatchObject({ command: "query_sm_resp", command_status: CommandStatus.ESME_RQUERYFAIL });
  });

  test("close() unbinds bound clients and closes every connection", async () => {
    sim = await Simulator.start();
    const { esme } = await bound("bind_transceiver");
    const idle = await TestEsme.connect(sim.port);
    clients.push(idle);
    await eventually(() => sim.stats().connections === 2);
    await sim.close();
    expect(esme.received.some((p) => p.command === "unbind")).toBe(true);
    await esme.until(() => esme.closed);
    await idle.until(() => idle.closed);
    // the listener is gone too
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ port: sim.port, host: "127.0.0.1" });
      socket.on("error", () => resolve(true));
      socket.on("connect", () => {
        socket.destroy();
        resolve(false);
      });
    });
    expect(refused).toBe(true);
    expect(sim.stats().connections).toBe(0);
  });
});
