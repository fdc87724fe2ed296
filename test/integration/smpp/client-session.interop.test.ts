/**
 * Our ClientSession against an SMSC written with the npm `smpp` package: an independent implementation,
 * so a bug shared by our codec and our session cannot make these pass.
 */
import { afterEach, describe, expect, test } from "vitest";
import { ClientSession, type ClientSessionOptions } from "../../../src/smpp/net/client-session.js";
import type { InboundPdu, SessionState } from "../../../src/smpp/net/types.js";
import { CommandStatus, SmppStatusError } from "../../../src/smpp/status.js";
import {
  eventually,
  inboundText,
  type PeerPdu,
  type PeerSession,
  startPeerSmsc,
  submitBody,
  waitForState,
} from "./session-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface PeerLog {
  binds: PeerPdu[];
  submits: PeerPdu[];
  enquireLinks: number;
  unbinds: number;
  deliverResps: PeerPdu[];
  dataSms: PeerPdu[];
}

/** An `smpp`-package SMSC that accepts esme1/secret, answers submits and sends a receipt for each. */
async function peerSmsc(options: { receipts?: boolean } = {}) {
  const log: PeerLog = {
    binds: [],
    submits: [],
    enquireLinks: 0,
    unbinds: 0,
    deliverResps: [],
    dataSms: [],
  };
  let nextId = 1000;
  const smsc = await startPeerSmsc((session: PeerSession) => {
    session.on("bind_transceiver", (pdu) => {
      log.binds.push(pdu);
      const ok = pdu.system_id === "esme1" && pdu.password === "secret";
      session.send(
        pdu.response({ command_status: ok ? 0 : CommandStatus.ESME_RINVPASWD, system_id: "PEER" }),
      );
    });
    session.on("submit_sm", (pdu) => {
      log.submits.push(pdu);
      const id = String(nextId++);
      session.send(pdu.response({ message_id: id }));
      if (options.receipts !== false) {
        const text = `id:${id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:`;
        session.deliver_sm(
          {
            source_addr: pdu.destination_addr,
            destination_addr: "Bridge",
            esm_class: 0x04,
            data_coding: 0,
            short_message: Buffer.from(text, "latin1"),
          },
          (resp) => log.deliverResps.push(resp),
        );
      }
    });
    session.on("data_sm", (pdu) => {
      log.dataSms.push(pdu);
      session.send(pdu.response({ message_id: String(nextId++) }));
    });
    session.on("enquire_link", (pdu) => {
      log.enquireLinks++;
      session.send(pdu.response());
    });
    session.on("unbind", (pdu) => {
      log.unbinds++;
      session.send(pdu.response());
      session.close();
    });
  });
  cleanups.push(() => smsc.close());
  return { ...smsc, log };
}

function session(port: number, extra: Partial<ClientSessionOptions> = {}): ClientSession {
  const s = new ClientSession({
    id: "interop",
    host: "127.0.0.1",
    port,
    systemId: "esme1",
    password: "secret",
    reconnect: { initialMs: 20, maxMs: 200 },
    ...extra,
  });
  cleanups.push(() => s.close(1000));
  return s;
}

describe("ClientSession against an npm `smpp` SMSC", () => {
  test("binds as transceiver with interface_version 0x34, submits, and answers the receipt only once stored", async () => {
    const smsc = await peerSmsc();
    const stored: InboundPdu[] = [];
    let finishStoring: (() => void) | undefined;
    const s = session(smsc.port, {
      onInbound: (pdu) =>
        new Promise<number>((resolve) => {
          stored.push(pdu);
          finishStoring = () => resolve(0);
        }),
    });
    s.start();
    await s.whenBound(5000);
    expect(smsc.log.binds).toHaveLength(1);
    expect(smsc.log.binds[0]?.interface_version).toBe(0x34);
    expect(s.info()).toMatchObject({ state: "bound", remote_address: `127.0.0.1:${smsc.port}` });
    expect(s.info().bound_at).not.toBeNull();

    const resp = await s.submit(submitBody("hello interop"));
    expect(resp.message_id).toBe("1000");
    expect(smsc.log.submits[0]?.destination_addr).toBe("447700900001");

    await eventually(() => stored.length === 1, 5000, "receipt handed to the callback");
    const receipt = stored[0];
    expect(receipt?.command).toBe("deliver_sm");
    expect(receipt?.esm_class).toBe(0x04);
    expect(inboundText(receipt)).toContain("id:1000 ");
    // Not stored yet, so not acknowledged yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(smsc.log.deliverResps).toHaveLength(0);
    finishStoring?.();
    await eventually(() => smsc.log.deliverResps.length === 1, 5000, "deliver_sm_resp");
    expect(smsc.log.deliverResps[0]?.command_status).toBe(0);
    expect(s.info()).toMatchObject({ submitted: 1, received: 1, in_flight: 0 });
  });

  test("data_sm both ways: ours is answered with an id; the SMSC's goes to the handler and gets data_sm_resp", async () => {
    const smsc = await peerSmsc({ receipts: false });
    const inbound: InboundPdu[] = [];
    const s = session(smsc.port, {
      onInbound: (pdu) => {
        inbound.push(pdu);
        return 0;
      },
    });
    s.start();
    await s.whenBound(5000);
    const resp = await s.dataSm({
      service_type: "",
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: "Bridge",
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: "447700900002",
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 0,
      tlvs: { message_payload: Buffer.from("payload out") },
    });
    expect(resp).toMatchObject({ command: "data_sm_resp", command_status: 0, message_id: "1000" });
    expect(smsc.log.dataSms[0]?.destination_addr).toBe("447700900002");

    const answer = await new Promise<PeerPdu>((resolve) =>
      smsc.sessions[0]?.data_sm(
        {
          source_addr: "447700900003",
          destination_addr: "12345",
          data_coding: 0,
          message_payload: Buffer.from("payload in"),
        },
        resolve,
      ),
    );
    expect(answer).toMatchObject({ command: "data_sm_resp", command_status: 0 });
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatchObject({ command: "data_sm", source_addr: "447700900003" });
    expect(inboundText(inbound[0])).toBe("payload in");
    expect(s.info()).toMatchObject({ received: 1, submitted: 0 });
  });

  test("a failed store is answered ESME_RX_T_APPN so the SMSC retries", async () => {
    const smsc = await peerSmsc();
    const s = session(smsc.port, { onInbound: () => Promise.reject(new Error("database down")) });
    s.start();
    await s.whenBound(5000);
    await s.submit(submitBody("x"));
    await eventually(() => smsc.log.deliverResps.length === 1, 5000, "deliver_sm_resp");
    expect(smsc.log.deliverResps[0]?.command_status).toBe(CommandStatus.ESME_RX_T_APPN);
  });

  test("enquire_link both ways: the session answers the SMSC's and sends its own when idle", async () => {
    const smsc = await peerSmsc({ receipts: false });
    const s = session(smsc.port, { enquireLinkIntervalMs: 50 });
    s.start();
    await s.whenBound(5000);
    const peer = smsc.sessions[0];
    const answer = await new Promise<PeerPdu>((resolve) => peer?.enquire_link(resolve));
    expect(answer.command).toBe("enquire_link_resp");
    expect(answer.command_status).toBe(0);
    await eventually(() => smsc.log.enquireLinks >= 2, 5000, "two enquire_links from the idle session");
    expect(s.state).toBe("bound");
  });

  test("unbind from our side: close() unbinds, waits for unbind_resp and ends closed", async () => {
    const smsc = await peerSmsc({ receipts: false });
    const s = session(smsc.port);
    const states: SessionState[] = [];
    s.on("state", (state) => states.push(state));
    s.start();
    await s.whenBound(5000);
    await s.close(2000);
    expect(smsc.log.unbinds).toBe(1);
    expect(states.slice(-2)).toEqual(["unbinding", "closed"]);
    await expect(s.submit(submitBody("too late"))).rejects.toMatchObject({
      name: "SessionClosedError",
      retryable: true,
    });
  });

  test("unbind from the SMSC: the session answers unbind_resp, drops the link and binds again", async () => {
    const smsc = await peerSmsc({ receipts: false });
    const s = session(smsc.port);
    s.start();
    await s.whenBound(5000);
    const states: SessionState[] = [];
    s.on("state", (state) => states.push(state));
    const answer = await new Promise<PeerPdu>((resolve) => smsc.sessions[0]?.unbind(resolve));
    expect(answer.command).toBe("unbind_resp");
    await eventually(() => smsc.log.binds.length === 2 && s.state === "bound", 5000, "rebound");
    expect(states).toContain("unbinding");
    expect(states).toContain("backoff");
  });

  test("a bind refused for the password backs off long and says why, without hammering", async () => {
    const smsc = await peerSmsc({ receipts: false });
    const s = session(smsc.port, { password: "wrong", credentialBackoffMs: 60_000 });
    s.start();
    await waitForState(s, "backoff", 5000);
    expect(s.lastError?.message).toMatch(/ESME_RINVPASWD/);
    expect(s.lastError?.message).toMatch(/next attempt in 60 s/);
    expect(s.info().last_error).toMatch(/bind refused/);
    expect(s.lastError?.cause).toBeInstanceOf(SmppStatusError);
    expect(s.lastError?.cause).toMatchObject({ status: CommandStatus.ESME_RINVPASWD, retryable: true });
    // The reconnect backoff here is 20 ms; a refused bind must not use it.
    await new Promise((r) => setTimeout(r, 300));
    expect(smsc.log.binds).toHaveLength(1);
    expect(s.state).toBe("backoff");
  });
});
