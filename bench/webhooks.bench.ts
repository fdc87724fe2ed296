/**
 * `npm run bench:webhooks`: webhook deliveries per second from the outbox to a local receiver, on
 * PostgreSQL. BENCH_EVENTS events (default 20,000) are written through `appendEvents` first (in
 * 1,000-event transactions, as receipts would); then one WebhookWorker with its default settings
 * claims, signs, POSTs and records them, and the clock runs until every delivery is `succeeded` in the
 * database (attempt rows written too). The receiver is a plain node:http server answering 200 in
 * another process, so it does not share this event loop.
 *
 * BENCH_ENDPOINTS (default 1) spreads the events over that many endpoints of one account (one
 * delivery per event each time, events are split round-robin across accounts with one endpoint each).
 * Uses DATABASE_URL when set (a fresh database is created beside it and dropped after), else
 * postgres://postgres@127.0.0.1:5432/postgres. The last output line is the JSON summary (COMMON.md).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { createInterface } from "node:readline";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { appendEvents, type OutboxEvent } from "../src/core/events/outbox.js";
import { WebhookEndpointService, WebhookWorker } from "../src/core/webhooks/index.js";
import { openDatabase, queryRows } from "../src/db/client.js";
import { accounts } from "../src/db/schema.js";
import { createMigratedDatabase, dropDatabase, parseDatabaseUrl } from "../test/helpers/pg-admin.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 1);
const baseUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

const RECEIVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "text/plain" }); res.end("ok"); });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
`;

async function startReceiver(): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = /^port (\d+)$/.exec(line);
    if (match) return { port: Number(match[1]), stop: () => child.kill("SIGTERM") };
  }
  throw new Error("the receiver did not start");
}

const dbName = await createMigratedDatabase(baseUrl, "bench_webhooks");
const receiver = await startReceiver();
const database = await openDatabase({
  databaseUrl: parseDatabaseUrl(baseUrl).withName(dbName),
  databasePoolSize: 10,
});
const secretKey = randomBytes(32);
let summary: string | undefined;
try {
  const db = database.db;
  const service = new WebhookEndpointService({ db, secretKey, allowPrivate: true });
  const accountIds: string[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const [account] = await db
      .insert(accounts)
      .values({ name: `bench ${i}` })
      .returning();
    if (account === undefined) throw new Error("no account");
    await service.create(account.id, { url: `http://127.0.0.1:${receiver.port}/hook/${i}` });
    accountIds.push(account.id);
  }

  const seedStarted = performance.now();
  const chunk = 1000;
  for (let from = 0; from < EVENTS; from += chunk) {
    const events: OutboxEvent[] = [];
    for (let i = from; i < Math.min(EVENTS, from + chunk); i++) {
      events.push({
        accountId: accountIds[i % accountIds.length] ?? "",
        type: "message.delivered",
        data: {
          id: `msg_bench${i}`,
          status: "delivered",
          to: "+447700900123",
          from: "ACME",
          text: "Your code is 123456",
          segments: 1,
          parts: [{ index: 1, status: "delivered", dlr_stat: "DELIVRD" }],
        },
      });
    }
    await db.transaction((tx) => appendEvents(tx, events));
  }
  const seedMs = performance.now() - seedStarted;
  console.log(`seeded ${EVENTS} events in ${Math.round(seedMs)} ms`);

  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const worker = new WebhookWorker({ db, secretKey, allowPrivate: true, logger: pino({ level: "warn" }) });
  const started = performance.now();
  worker.start();
  const deadline = Date.now() + 600_000;
  let done = 0;
  while (done < EVENTS) {
    if (Date.now() > deadline) throw new Error(`only ${done} of ${EVENTS} delivered in 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status IN ('pending', 'failed')`,
    );
    done = EVENTS - (row?.n ?? EVENTS);
  }
  const elapsedMs = performance.now() - started;

  await worker.stop();
  const [attempts] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM webhook_attempts`);
  const perSecond = EVENTS / (elapsedMs / 1000);
  console.log(
    `${EVENTS} deliveries to ${ENDPOINTS} endpoint(s) in ${Math.round(elapsedMs)} ms: ` +
      `${Math.round(perSecond).toLocaleString("en")} deliveries/s (${attempts?.n} attempt rows)`,
  );
  summary = JSON.stringify({
    bench: "webhooks",
    metrics: {
      deliveries_per_s: Math.round(perSecond),
      drain_ms: Math.round(elapsedMs),
      seed_events_per_s: Math.round(EVENTS / (seedMs / 1000)),
      rss_peak_mb: Math.round(rssPeak / 1024 / 1024),
    },
    env: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? "unknown",
      events: EVENTS,
      endpoints: ENDPOINTS,
      database: "postgresql",
      receiver: "node:http in a separate process, loopback, answers 200",
    },
  });
} finally {
  await database.close();
  receiver.stop();
  await dropDatabase(baseUrl, dbName);
}
console.log(summary);
