/**
 * A hand-written SMSC on 127.0.0.1, port 0, for the edge cases the simulator does not make: it decodes
 * what the session writes, answers binds as told, and lets the test write any bytes on any connection.
 */
import { createServer, type Server, type Socket } from "node:net";
import { decodePdu, encodePdu } from "../../../src/smpp/codec.js";
import { Framer } from "../../../src/smpp/framer.js";
import type { Pdu } from "../../../src/smpp/pdu.js";

export interface RawSmscOptions {
  /** Keep our side open after the session's FIN (like an SMSC that waits for the ESME to close). */
  allowHalfOpen?: boolean;
  /** command_status of the bind_*_resp; default 0. */
  bindStatus?: () => number;
  /** Instead of the usual bind_*_resp, do this with the bind of connection `connection`; return false to answer as usual. */
  onBind?: (pdu: Pdu, socket: Socket, connection: number) => boolean;
  /** Called with every PDU the session sends except binds (which are answered already). */
  onPdu?: (pdu: Pdu, socket: Socket, connection: number) => void;
}

export interface RawSmsc {
  port: number;
  /** Every PDU received, with the index of the connection it came on. */
  received: Array<{ pdu: Pdu; connection: number }>;
  /** Connections accepted, oldest first. */
  sockets: Socket[];
  /** Connections whose socket has closed. */
  closed: Set<number>;
  close(): Promise<void>;
}

export function header(length: number, commandId: number, status: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(length, 0);
  b.writeUInt32BE(commandId, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(seq, 12);
  return b;
}

export async function startRawSmsc(options: RawSmscOptions = {}): Promise<RawSmsc> {
  const received: RawSmsc["received"] = [];
  const sockets: Socket[] = [];
  const closed = new Set<number>();
  const server: Server = createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    const connection = sockets.push(socket) - 1;
    const framer = new Framer();
    socket.on("close", () => closed.add(connection));
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        const pdu = decodePdu(frame);
        received.push({ pdu, connection });
        if (pdu.command === "bind_transceiver" || pdu.command === "bind_transmitter") {
          if (options.onBind?.(pdu, socket, connection) === true) continue;
          socket.write(
            encodePdu({
              command: `${pdu.command}_resp`,
              command_status: options.bindStatus?.() ?? 0,
              sequence_number: pdu.sequence_number,
              system_id: "RAW",
            }),
          );
        } else {
          options.onPdu?.(pdu, socket, connection);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    received,
    sockets,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
