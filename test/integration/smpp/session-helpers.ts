import { createRequire } from "node:module";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import type { ClientSession } from "../../../src/smpp/net/client-session.js";
import type { InboundPdu, SessionState, SubmitSmBody } from "../../../src/smpp/net/types.js";

/** A GSM-7 (DCS 0) submit_sm body to `to`, asking for a receipt. */
export function submitBody(text: string, to = "447700900001"): SubmitSmBody {
  return {
    service_type: "",
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: "Bridge",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: to,
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, "latin1"),
  };
}

/** Resolves the first time `session` enters `state` (at once if it is there). */
export function waitForState(session: ClientSession, state: SessionState, timeoutMs = 10_000): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      session.off("state", onState);
      reject(new Error(`${session.id} did not reach ${state} within ${timeoutMs} ms (is ${session.state})`));
    }, timeoutMs);
    const onState = (s: SessionState) => {
      if (s !== state) return;
      clearTimeout(timer);
      session.off("state", onState);
      resolve();
    };
    session.on("state", onState);
  });
}

/** Polls `predicate` every 10 ms until it is true; fails after `timeoutMs`. */
export async function eventually(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---- the npm `smpp` package as an independent SMSC ------------------------------------------------

/** The parts of the npm `smpp` package's PDU object the tests use. */
export interface PeerPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  system_id?: string;
  password?: string;
  interface_version?: number;
  short_message?: { message?: string | Buffer } | Buffer | string;
  destination_addr?: string;
  message_id?: string;
  response(options?: Record<string, unknown>): PeerPdu;
}

export interface PeerSession {
  on(event: string, listener: (pdu: PeerPdu) => void): void;
  send(pdu: PeerPdu, responseCallback?: (pdu: PeerPdu) => void): boolean;
  deliver_sm(options: Record<string, unknown>, responseCallback?: (pdu: PeerPdu) => void): boolean;
  data_sm(options: Record<string, unknown>, responseCallback?: (pdu: PeerPdu) => void): boolean;
  enquire_link(responseCallback?: (pdu: PeerPdu) => void): boolean;
  unbind(responseCallback?: (pdu: PeerPdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
}

interface PeerServer {
  on(event: "session", listener: (session: PeerSession) => void): void;
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo;
  close(callback: () => void): void;
}

interface SmppModule {
  createServer(listener: (session: PeerSession) => void): PeerServer;
}

const require = createRequire(import.meta.url);

/** An SMSC made with the npm `smpp` package, listening on 127.0.0.1, port 0. */
export async function startPeerSmsc(onSession: (session: PeerSession) => void): Promise<{
  port: number;
  sessions: PeerSession[];
  close(): Promise<void>;
}> {
  const smpp = require("smpp") as SmppModule;
  const sessions: PeerSession[] = [];
  const server = smpp.createServer((session) => {
    sessions.push(session);
    session.on("error", () => undefined);
    onSession(session);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The user data of a deliver_sm (short_message) or data_sm (message_payload) as Latin-1 text. */
export function inboundText(pdu: InboundPdu | undefined): string {
  if (pdu === undefined) return "";
  const bytes = pdu.command === "deliver_sm" ? pdu.short_message : pdu.tlvs?.message_payload;
  return bytes === undefined ? "" : bytes.toString("latin1");
}

/** A TCP relay to `targetPort` on 127.0.0.1 whose connections a test can cut one by one. */
export async function startRelay(targetPort: number): Promise<{
  port: number;
  /** Open relayed connections, oldest first. */
  connections(): number;
  /** Cuts relayed connection `index` (both sides), like a network failure. */
  cut(index: number): void;
  close(): Promise<void>;
}> {
  const pairs: Array<[Socket, Socket]> = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.push(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      const i = pairs.indexOf(pair);
      if (i >= 0) pairs.splice(i, 1);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => pairs.length,
    cut(index) {
      const pair = pairs[index];
      pair?.[0].destroy();
      pair?.[1].destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs.splice(0)) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
