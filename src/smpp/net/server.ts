import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import { ServerSession, type ServerSessionHandlers, type ServerSessionOptions } from "./server-session.js";

/** Options of {@link SmppServer}. */
export interface SmppServerOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one (see {@link SmppServer.port} after listen). Default 0. */
  port?: number;
  /** Listen with TLS (SMPPS) using these options (key, cert, …). Default: plain TCP. */
  tls?: TlsOptions;
  /** Passed to every {@link ServerSession} (its `id` is assigned here). */
  session?: Omit<ServerSessionOptions, "id">;
}

/**
 * An SMPP listener over TCP or TLS. Each accepted connection becomes a {@link ServerSession} driven by
 * the same handlers; `close()` stops accepting, unbinds every bound session and closes the rest.
 */
export class SmppServer {
  private readonly server: Server;
  private readonly live = new Set<ServerSession>();
  private nextId = 1;
  private portValue = 0;
  private readonly options: SmppServerOptions;

  constructor(handlers: ServerSessionHandlers, options: SmppServerOptions = {}) {
    this.options = options;
    const accept = (socket: Socket): void => {
      const session = new ServerSession(
        socket,
        {
          ...handlers,
          onClose: (s, err) => {
            this.live.delete(s);
            handlers.onClose?.(s, err);
          },
        },
        { ...options.session, id: this.nextId++ },
      );
      this.live.add(session);
    };
    if (options.tls) {
      // 'secureConnection' hands over sockets whose handshake completed.
      this.server = createTlsServer(options.tls, accept);
      // A failed handshake must not take the listener down.
      this.server.on("tlsClientError", () => {});
    } else {
      this.server = createTcpServer(accept);
    }
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => {
        this.server.off("error", onError);
        const address = this.server.address();
        this.portValue = typeof address === "object" && address !== null ? address.port : 0;
        resolve(this.portValue);
      });
    });
  }

  /** The port listened on (0 before {@link listen}). */
  get port(): number {
    return this.portValue;
  }

  /** Connections currently open. */
  get sessions(): ReadonlySet<ServerSession> {
    return this.live;
  }

  /**
   * Stops accepting connections, unbinds bound sessions (waiting at most `unbindTimeoutMs` for each
   * unbind_resp and close), destroys whatever is left and resolves once the listener is closed.
   */
  async close(unbindTimeoutMs = 2000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.live].map((s) => s.unbind(unbindTimeoutMs)));
    for (const s of this.live) s.destroy();
    await closed;
  }
}
