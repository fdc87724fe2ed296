/**
 * How the session answers what an SMSC may send it: unknown commands, malformed requests, and a
 * generic_nack for one of our requests. The SMSC here is a raw socket that writes hand-made bytes.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { decodePdu, encodePdu } from "../../../src/smpp/codec.js";
import { Framer } from "../../../src/smpp/framer.js";
import { ClientSession } from "../../../src/smpp/net/client-session.js";
import type { Pdu } from "../../../src/smpp/pdu.js";
import { CommandStatus, SmppStatusError } from "../../../src/smpp/status.js";
import { eventually, submitBody } from "./session-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw SMSC that accepts any bind and records every PDU the session sends it. */
async function rawSmsc(onPdu: (pdu: Pdu, socket: Socket) => void = () => undefined) {
  const received: Pdu[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const framer = new Framer();
    socket.on("data", (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        const pdu = decodePdu(frame);
        received.push(pdu);
        if (pdu.command === "bind_transceiver") {
          socket.write(
            encodePdu({
              command: "bind_transceiver_resp",
              command_status: 0,
              sequence_number: pdu.sequence_number,
              system_id: "RAW",
            }),
          );
        } else {
          onPdu(pdu, socket);
        }
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const s = new ClientSession({
    id: "raw",
    host: "127.0.0.1",
    port: address.port,
    systemId: "a",
    password: "b",
  });
  cleanups.push(() => s.close(500));
  s.start();
  await s.whenBound(5000);
  const socket = sockets[0];
  if (socket === undefined) throw new Error("no connection");
  return { session: s, socket, received };
}

function header(length: number, commandId: number, status: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(length, 0);
  b.writeUInt32BE(commandId, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(seq, 12);
  return b;
}

describe("answers to what the SMSC sends", () => {
  test("an unknown command id is answered generic_nack ESME_RINVCMDID with its sequence number", async () => {
    const { session, socket, received } = await rawSmsc();
    socket.write(header(16, 0x00000099, 0, 77));
    await eventually(() => received.some((p) => p.command === "generic_nack"), 5000, "generic_nack");
    expect(received.find((p) => p.command === "generic_nack")).toMatchObject({
      command_status: CommandStatus.ESME_RINVCMDID,
      sequence_number: 77,
    });
    expect(session.state).toBe("bound");
  });

  test("a malformed deliver_sm is answered with a failing deliver_sm_resp, and the link stays up", async () => {
    const { session, socket, received } = await rawSmsc();
    // A deliver_sm whose body stops in the middle of service_type (no NUL).
    const body = Buffer.from("CMT", "latin1");
    socket.write(Buffer.concat([header(16 + body.length, 0x00000005, 0, 78), body]));
    await eventually(() => received.some((p) => p.command === "deliver_sm_resp"), 5000, "deliver_sm_resp");
    const resp = received.find((p) => p.command === "deliver_sm_resp");
    expect(resp?.sequence_number).toBe(78);
    expect(resp?.command_status).not.toBe(0);
    socket.write(encodePdu({ command: "enquire_link", command_status: 0, sequence_number: 79 }));
    await eventually(
      () => received.some((p) => p.command === "enquire_link_resp"),
      5000,
      "enquire_link_resp",
    );
    expect(session.state).toBe("bound");
  });

  test("a request the ESME does not serve (query_sm) is refused with generic_nack", async () => {
    const { socket, received } = await rawSmsc();
    socket.write(
      encodePdu({
        command: "query_sm",
        command_status: 0,
        sequence_number: 80,
        message_id: "abc",
        source_addr_ton: 0,
        source_addr_npi: 0,
        source_addr: "",
      }),
    );
    await eventually(() => received.some((p) => p.command === "generic_nack"), 5000, "generic_nack");
    expect(received.find((p) => p.command === "generic_nack")?.sequence_number).toBe(80);
  });

  test("a generic_nack for one of our requests fails that request with its status", async () => {
    const { session } = await rawSmsc((pdu, socket) => {
      if (pdu.command === "submit_sm") {
        socket.write(header(16, 0x80000000, CommandStatus.ESME_RINVCMDLEN, pdu.sequence_number));
      }
    });
    const err = await session.submit(submitBody("nacked")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmppStatusError);
    expect(err).toMatchObject({ status: CommandStatus.ESME_RINVCMDLEN, retryable: false });
    expect((err as Error).message).toMatch(/generic_nack/);
    expect(session.inFlight).toBe(0);
    expect(session.state).toBe("bound");
  });
});
