import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/** TLS (SMPPS) settings of a client connection. */
export interface TlsClientOptions {
  /** PEM CA certificate(s) to trust instead of the system store. Default: the system store. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Name sent as SNI and checked against the certificate. Default: `host` when it is a name. */
  servername?: string;
  /** Accept any certificate. Explicit opt-in, for test SMSCs only. Default false. */
  insecureSkipVerify?: boolean;
}

/** Opens a TCP (or TLS, when `tls` is given) connection, failing after `timeoutMs` milliseconds. */
export function openSocket(
  host: string,
  port: number,
  tls: TlsClientOptions | undefined,
  timeoutMs: number,
  signal: { cancel?: () => void },
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket =
      tls === undefined
        ? netConnect({ host, port })
        : tlsConnect({
            host,
            port,
            ca: tls.ca,
            servername: tls.servername,
            rejectUnauthorized: tls.insecureSkipVerify !== true,
          });
    const ready = tls === undefined ? "connect" : "secureConnect";
    let done = false;
    const finish = (err: Error | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.cancel = undefined;
      socket.off(ready, onReady);
      socket.off("error", onError);
      if (err === undefined) {
        // The owner attaches its own listener next; until then an early error must not crash the process.
        socket.on("error", ignore);
        resolve(socket);
      } else {
        socket.destroy();
        reject(err);
      }
    };
    const onReady = () => finish(undefined);
    const onError = (err: Error) => finish(err);
    const timer = setTimeout(
      () => finish(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    socket.once(ready, onReady);
    socket.once("error", onError);
    signal.cancel = () => finish(new Error("connect cancelled: session closing"));
  });
}

function ignore(): void {}
