/**
 * The webhook receiver of `bench/e2e.bench.ts`, in its own process so it shares no event loop with the
 * service or the parent. A node:http server on 127.0.0.1 that answers every request 204 at once (over
 * keep-alive) and counts deliveries per event type, read from the body's `"type"` field, with the time
 * each type last arrived (ms since the epoch, so the parent can compare it with its own clock).
 * Signatures are not verified, to keep it cheap on a shared machine; a request lacking `webhook-id`,
 * `webhook-timestamp` or `webhook-signature`, or without a readable type, counts as an error. A
 * `webhook-id` seen before (a retry) counts as a duplicate, not as a delivery.
 *
 * Prints one JSON line `{"port":<n>}` once listening; then on stdin, `stats` answers one JSON line
 * `{"counts":{type:n},"last_at":{type:ms},"errors":n,"duplicates":n,"cpu_us":n}` and `reset` zeroes
 * the counters (answering `{"reset":true}`). `hold` makes it read requests but answer none (the
 * service's webhooks queue up behind the few in flight, as behind a receiver that stalls), until
 * `release` answers the held ones and every later one at once; a held request counts when answered.
 * `release` answers `{"released":n,"at":ms}`. Exits when its stdin closes or on SIGTERM.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { createInterface } from "node:readline";

let counts: Record<string, number> = {};
let lastAt: Record<string, number> = {};
let errors = 0;
let duplicates = 0;
let seen = new Set<string>();
let held: (() => void)[] | undefined;

/** The event type from a body shaped `{"id":"evt_…","type":"…",…}`: the first `"type":"` is it. */
function eventType(body: string): string | undefined {
  const at = body.indexOf('"type":"');
  if (at < 0) return undefined;
  const from = at + 8;
  const to = body.indexOf('"', from);
  return to < 0 ? undefined : body.slice(from, to);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const answer = () => take(req.headers, Buffer.concat(chunks), () => res.writeHead(204).end());
    if (held === undefined) answer();
    else held.push(answer);
  });
});

/** Answers a request and counts it. */
function take(headers: IncomingHttpHeaders, body: Buffer, respond: () => void): void {
  respond();
  const id = headers["webhook-id"];
  const type = eventType(body.toString("latin1"));
  if (
    typeof id !== "string" ||
    headers["webhook-timestamp"] === undefined ||
    headers["webhook-signature"] === undefined ||
    type === undefined
  ) {
    errors++;
    return;
  }
  if (seen.has(id)) {
    duplicates++;
    return;
  }
  seen.add(id);
  counts[type] = (counts[type] ?? 0) + 1;
  lastAt[type] = performance.timeOrigin + performance.now();
}
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
if (address === null || typeof address === "string") throw new Error("no port");
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

const commands = createInterface({ input: process.stdin });
commands.on("line", (line) => {
  const command = line.trim();
  if (command === "stats") {
    const { user, system } = process.cpuUsage();
    const stats = { counts, last_at: lastAt, errors, duplicates, cpu_us: user + system };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  } else if (command === "hold") {
    held ??= [];
    process.stdout.write(`${JSON.stringify({ held: true })}\n`);
  } else if (command === "release") {
    const answers = held ?? [];
    held = undefined;
    const at = performance.timeOrigin + performance.now();
    for (const answer of answers) answer();
    process.stdout.write(`${JSON.stringify({ released: answers.length, at })}\n`);
  } else if (command === "reset") {
    counts = {};
    lastAt = {};
    errors = 0;
    duplicates = 0;
    seen = new Set();
    process.stdout.write(`${JSON.stringify({ reset: true })}\n`);
  }
});
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
commands.on("close", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
