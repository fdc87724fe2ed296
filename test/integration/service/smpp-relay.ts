/**
 * A TCP relay between the service and the simulator that reads the commands each ESME connection
 * sends (from the PDU headers only), so a test can see what the simulator cannot tell it: whether
 * every bound connection ended with an unbind rather than just a dropped socket.
 */

import type { AddressInfo } from "node:net";
import { createConnection, createServer, type Server, type Socket } from "node:net";

const BIND_IDS = new Set([0x00000001, 0x00000002, 0x00000009]);
const UNBIND = 0x00000006;

export interface RelayedConnection {
  /** Command ids the ESME sent, in order. */
  commands: number[];
  bound: boolean;
  unbound: boolean;
  closed: boolean;
}

export class SmppRelay {
  readonly connections: RelayedConnection[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<SmppRelay> {
    let relay: SmppRelay | undefined;
    const server = createServer((client) => relay?.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    relay = new SmppRelay(server, (server.address() as AddressInfo).port);
    return relay;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    const record: RelayedConnection = { commands: [], bound: false, unbound: false, closed: false };
    this.connections.push(record);
    const upstream = createConnection(target);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let pending = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 16) {
        const length = pending.readUInt32BE(0);
        if (length < 16 || pending.length < length) break;
        const id = pending.readUInt32BE(4);
        record.commands.push(id);
        if (BIND_IDS.has(id)) record.bound = true;
        if (id === UNBIND) record.unbound = true;
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      record.closed = true;
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
