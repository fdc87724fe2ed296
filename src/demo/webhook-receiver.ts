import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DemoLogger } from "./logger.js";
import { checkWebhookSignature } from "./signature.js";

/** Largest delivery body read (1 MiB); a batch of events never comes near it. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Events kept in memory for {@link DemoWebhookReceiver.received}. */
const KEPT_EVENTS = 100;
/** The path the demo endpoint is registered with. */
export const DEMO_WEBHOOK_PATH = "/webhooks";

/** One verified event, as the receiver logged it. */
export interface ReceivedEvent {
  eventId: string;
  type: string;
  /** `data.id`: the message or inbound SMS the event is about. */
  subjectId: string | undefined;
  /** `data.status`, for message events. */
  status: string | undefined;
}

/**
 * The demo's stand-in for a customer's webhook receiver: a small HTTP server on 127.0.0.1 that checks
 * each delivery's signature (as a real receiver must), logs the event and answers 204. A delivery with
 * a bad or missing signature is logged and refused with 401, so the bridge retries it.
 */
export class DemoWebhookReceiver {
  private readonly server: Server;
  private secret: string | undefined;
  private readonly kept: ReceivedEvent[] = [];

  private constructor(private readonly logger: DemoLogger) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.logger.warn({ err: error }, "demo webhook receiver failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  /** Listens on 127.0.0.1 at a free port. */
  static async start(logger: DemoLogger): Promise<DemoWebhookReceiver> {
    const receiver = new DemoWebhookReceiver(logger);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once("error", reject);
      receiver.server.listen(0, "127.0.0.1", () => resolve());
    });
    return receiver;
  }

  /** The URL to register as the webhook endpoint. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${DEMO_WEBHOOK_PATH}`;
  }

  /** The endpoint's `whsec_…` secret; deliveries are refused until it is set. */
  setSecret(secret: string): void {
    this.secret = secret;
  }

  /** The last verified events, oldest first. */
  get received(): readonly ReceivedEvent[] {
    return this.kept;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || req.url !== DEMO_WEBHOOK_PATH) {
      res.writeHead(404).end();
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413).end();
      return;
    }
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const problem =
      this.secret === undefined
        ? "no secret yet"
        : checkWebhookSignature(this.secret, {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body,
          });
    if (problem !== null) {
      this.logger.warn({ webhook_id: header("webhook-id"), problem }, "demo webhook refused");
      res.writeHead(401).end();
      return;
    }
    const event = parseEvent(body);
    if (event === undefined) {
      this.logger.warn({ webhook_id: header("webhook-id") }, "demo webhook body is not an event");
      res.writeHead(400).end();
      return;
    }
    this.kept.push(event);
    if (this.kept.length > KEPT_EVENTS) this.kept.shift();
    this.logger.info(
      { event_id: event.eventId, type: event.type, id: event.subjectId, status: event.status },
      "demo webhook received (signature verified)",
    );
    res.writeHead(204).end();
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseEvent(body: string): ReceivedEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { id, type, data } = parsed as Record<string, unknown>;
  if (typeof id !== "string" || typeof type !== "string") return undefined;
  const fields = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  return {
    eventId: id,
    type,
    subjectId: typeof fields.id === "string" ? fields.id : undefined,
    status: typeof fields.status === "string" ? fields.status : undefined,
  };
}
