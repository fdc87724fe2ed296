import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import type { Faults } from "./faults.js";
import type { MoRequest } from "./mo.js";
import type { Simulator } from "./simulator.js";

const MAX_BODY_BYTES = 64 * 1024;

const moSchema = z.object({
  from: z.string().min(1).max(20),
  to: z.string().min(1).max(20),
  text: z.string(),
  encoding: z.enum(["auto", "gsm7", "latin1", "ucs2"]).optional(),
  concat: z.enum(["udh8", "udh16", "sar", "payload"]).optional(),
  systemId: z.string().min(1).max(15).optional(),
});

const fraction = z.number().min(0).max(1);
const nonNegative = z.number().min(0);
const status = z.number().int().min(0).max(0xffffffff);
const faultsSchema = z
  .object({
    throttleFraction: fraction,
    throttleRate: nonNegative,
    responseDelayMs: nonNegative,
    noResponseFraction: fraction,
    submitErrorFraction: fraction,
    submitErrorStatus: status,
    dropAfterPdus: z.number().int().min(0),
    refuseBindsStatus: status,
    garbageFraction: fraction,
  })
  .partial()
  .strict();

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The simulator's HTTP control, for scripts and demos (tests use the Simulator object directly):
 *
 * - `GET /stats` counters; `GET /sessions` open connections; `GET /binds/failed` refused binds;
 * - `POST /mo` `{from, to, text, encoding?, concat?, systemId?}` injects an inbound SMS (202);
 * - `GET /faults`, `PUT /faults` with any subset of the switches (200 with the full set);
 * - `GET /submits?limit=n` the latest recorded submits; `DELETE /submits` clears them;
 * - `POST /disconnect` cuts every SMPP connection.
 *
 * No authentication: it listens on loopback by default, like the simulator itself.
 */
export class ControlServer {
  private readonly server: Server;
  private portValue = 0;

  constructor(
    private readonly simulator: Simulator,
    private readonly options: { port: number; host?: string },
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const code = err instanceof HttpError ? err.status : 500;
        send(res, code, { error: err instanceof Error ? err.message : String(err) });
      });
    });
  }

  get port(): number {
    return this.portValue;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host ?? "127.0.0.1", () => {
        this.server.off("error", reject);
        const address = this.server.address();
        this.portValue = typeof address === "object" && address !== null ? address.port : 0;
        resolve(this.portValue);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://control.invalid");
    const route = `${req.method ?? "GET"} ${url.pathname}`;
    const sim = this.simulator;
    switch (route) {
      case "GET /stats":
        return send(res, 200, sim.stats());
      case "GET /sessions":
        return send(res, 200, { sessions: sim.sessions() });
      case "GET /binds/failed":
        return send(res, 200, { failed: sim.failedBinds() });
      case "GET /faults":
        return send(res, 200, sim.faults);
      case "PUT /faults": {
        const patch = parse(faultsSchema, await readJson(req)) as Partial<Faults>;
        return send(res, 200, sim.setFaults(patch));
      }
      case "POST /mo": {
        const mo = parse(moSchema, await readJson(req)) as MoRequest;
        try {
          return send(res, 202, sim.injectMo(mo));
        } catch (err) {
          throw new HttpError(422, err instanceof Error ? err.message : String(err));
        }
      }
      case "GET /submits": {
        const limit = Math.max(0, Math.min(Number(url.searchParams.get("limit") ?? 100) || 100, 10_000));
        const all = sim.submits.list();
        const latest = all.slice(Math.max(0, all.length - limit));
        return send(res, 200, {
          submits: latest.map((r) => ({
            ...r,
            payload: r.payload.toString("hex"),
            udh: r.udh?.toString("hex"),
            receivedAt: new Date(r.receivedAt).toISOString(),
          })),
          duplicates: sim.submits.duplicates().length,
        });
      }
      case "DELETE /submits":
        sim.submits.clear();
        res.writeHead(204).end();
        return;
      case "POST /disconnect":
        sim.disconnectAll();
        res.writeHead(204).end();
        return;
      default:
        throw new HttpError(404, `no route ${route}`);
    }
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new HttpError(400, `${where}${issue?.message ?? "invalid body"}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
    chunks.push(buf);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
