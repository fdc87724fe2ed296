import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  /** Path and query. */
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** How the receiver answers: a status (with optional headers and body), or never (until released). */
export type Behaviour =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  | { kind: "hang" };

/**
 * A real HTTP webhook receiver on 127.0.0.1 (port 0) whose behaviour a test switches at will: answer a
 * status, hang (to provoke timeouts or to hold a slow receiver), or be down (`stop()`: connections
 * refused) and come back on the same port (`restart()`).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  behaviour: Behaviour = { kind: "status", status: 200 };
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  port = 0;

  private constructor() {
    this.server = this.makeServer();
  }

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.listen(0);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Requests currently held open by `hang`. */
  get hanging(): number {
    return this.held.size;
  }

  /** Bodies parsed, in arrival order. */
  events(): Array<{ id: string; type: string; created_at: string; data: unknown }> {
    return this.requests.map((r) => JSON.parse(r.body));
  }

  /** Answers every held request with `status` and stops holding new ones (back to answering `status`). */
  release(status = 200): void {
    this.behaviour = { kind: "status", status };
    for (const response of this.held) response.writeHead(status).end();
    this.held.clear();
  }

  /** Down: the port refuses connections until {@link restart}. */
  async stop(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.held.clear();
    const closed = once(this.server, "close");
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async restart(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.stop();
  }

  private makeServer(): Server {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        this.requests.push({
          url: request.url ?? "",
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        const behaviour = this.behaviour;
        if (behaviour.kind === "hang") {
          this.held.add(response);
          response.on("close", () => this.held.delete(response));
          return;
        }
        response.writeHead(behaviour.status, behaviour.headers).end(behaviour.body ?? "ok");
      });
    });
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    return server;
  }

  private async listen(port: number): Promise<void> {
    this.server.listen(port, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
  }
}
