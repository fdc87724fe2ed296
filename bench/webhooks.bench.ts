/**
 * `npm run bench:webhooks`: webhook deliveries per second from the outbox to a local receiver, on
 * PostgreSQL. BENCH_EVENTS events (default 20,000) are written through `appendEvents` first (in
 * 1,000-event transactions, as receipts would); then one WebhookWorker with its default settings
 * claims, signs, POSTs and records them, and the clock runs until every delivery is `succeeded` in the
 * database (attempt rows written too). The receiver is a plain node:http server answering 200 in
 * another process, so it does not share this event loop.
 *
 * BENCH_TARGET picks the path: `endpoint` (default) delivers to webhook endpoints; BENCH_ENDPOINTS
 * (default 1) spreads the events round-robin over that many accounts with one endpoint each.
 * `callback` delivers to each message's status_callback_url instead, every one a distinct URL on the
 * receiver (`/dlr?i=<n>`, as the Kannel comparison does): the account's only endpoint subscribes to
 * another event type, so it just signs them. BENCH_CONCURRENCY and BENCH_BACKLOG override the
 * worker's per-endpoint concurrency and backlog.
 *
 * The machine is often shared, so besides the rate the bench reports the CPU time the drain cost —
 * this process, the receiver, and the PostgreSQL backends of the bench database — per 1,000
 * deliveries, and the load average at the start and end.
 *
 * Uses DATABASE_URL when set (a fresh database is created beside it and dropped after), else
 * postgres://postgres@127.0.0.1:5432/postgres. The last output line is the JSON summary (COMMON.md).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
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
const TARGET = process.env.BENCH_TARGET === "callback" ? "callback" : "endpoint";
const ENDPOINTS = TARGET === "callback" ? 1 : Number(process.env.BENCH_ENDPOINTS ?? 1);
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks
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

async function startReceiver(): Promise<{ port: number; pid: number; stop(): void }> {
  const child = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = /^port (\d+)$/.exec(line);
    if (match) return { port: Number(match[1]), pid: child.pid ?? 0, stop: () => child.kill("SIGTERM") };
  }
  throw new Error("the receiver did not start");
}

/** utime + stime of a process in ticks; 0 once it is gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

const loadAverage = () => os.loadavg().map((n) => Number(n.toFixed(2)));

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
    await service.create(account.id, {
      url: `http://127.0.0.1:${receiver.port}/hook/${i}`,
      ...(TARGET === "callback" && { events: ["inbound.received" as const] }),
    });
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
        callbackUrl: TARGET === "callback" ? `http://127.0.0.1:${receiver.port}/dlr?i=${i}` : null,
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

  // Every backend of the bench database, CPU ticks when first seen during the drain.
  const backends = new Map<number, number>();
  const [current] = await queryRows<{ datname: string }>(db, sql`SELECT current_database() AS datname`);
  const watchBackends = async () => {
    const rows = await queryRows<{ pid: number }>(
      db,
      sql`SELECT pid FROM pg_stat_activity WHERE datname = ${current?.datname ?? dbName}`,
    );
    for (const { pid } of rows) if (!backends.has(pid)) backends.set(pid, cpuTicks(pid));
  };
  await watchBackends();
  const loadBefore = loadAverage();
  const receiverTicksBefore = cpuTicks(receiver.pid);
  const cpuBefore = process.cpuUsage();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const worker = new WebhookWorker({
    db,
    secretKey,
    allowPrivate: true,
    logger: pino({ level: "warn" }),
    perEndpointConcurrency: process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined,
    perEndpointBacklog: process.env.BENCH_BACKLOG ? Number(process.env.BENCH_BACKLOG) : undefined,
  });
  const started = performance.now();
  worker.start();
  const deadline = Date.now() + 600_000;
  let done = 0;
  let polls = 0;
  while (done < EVENTS) {
    if (Date.now() > deadline) throw new Error(`only ${done} of ${EVENTS} delivered in 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status IN ('pending', 'failed')`,
    );
    done = EVENTS - (row?.n ?? EVENTS);
    if (++polls % 10 === 0) await watchBackends();
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const workerCpuMs = (cpu.user + cpu.system) / 1000;
  const receiverCpuMs = ((cpuTicks(receiver.pid) - receiverTicksBefore) * 1000) / CLK_TCK;
  let postgresTicks = 0;
  for (const [pid, before] of backends) postgresTicks += cpuTicks(pid) - before;
  const postgresCpuMs = (postgresTicks * 1000) / CLK_TCK;
  const loadAfter = loadAverage();

  await worker.stop();
  const stats = worker.stats();
  console.log(
    `database work: ${stats.claims} claims (${Math.round(stats.claimedRows / Math.max(1, stats.claims))} rows, ` +
      `${(stats.claimMs / Math.max(1, stats.claims)).toFixed(1)} ms each), ${stats.resultWrites} result writes ` +
      `(${Math.round(stats.resultRows / Math.max(1, stats.resultWrites))} rows, ` +
      `${(stats.resultWriteMs / Math.max(1, stats.resultWrites)).toFixed(1)} ms each), ${stats.released} released`,
  );
  const [attempts] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM webhook_attempts`);
  const perSecond = EVENTS / (elapsedMs / 1000);
  const target = TARGET === "callback" ? "distinct status_callback URLs" : `${ENDPOINTS} endpoint(s)`;
  console.log(
    `${EVENTS} deliveries to ${target} in ${Math.round(elapsedMs)} ms: ` +
      `${Math.round(perSecond).toLocaleString("en")} deliveries/s (${attempts?.n} attempt rows)`,
  );
  const per1000 = (ms: number) => Math.round((ms * 1000) / EVENTS);
  console.log(
    `CPU per 1,000 deliveries: worker ${per1000(workerCpuMs)} ms, receiver ${per1000(receiverCpuMs)} ms, ` +
      `PostgreSQL ${per1000(postgresCpuMs)} ms; load average ${loadBefore.join(" ")} → ${loadAfter.join(" ")}`,
  );
  summary = JSON.stringify({
    bench: "webhooks",
    metrics: {
      deliveries_per_s: Math.round(perSecond),
      drain_ms: Math.round(elapsedMs),
      worker_cpu_ms_per_1000: per1000(workerCpuMs),
      receiver_cpu_ms_per_1000: per1000(receiverCpuMs),
      postgres_cpu_ms_per_1000: per1000(postgresCpuMs),
      claims: stats.claims,
      result_writes: stats.resultWrites,
      seed_events_per_s: Math.round(EVENTS / (seedMs / 1000)),
      rss_peak_mb: Math.round(rssPeak / 1024 / 1024),
    },
    env: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? "unknown",
      events: EVENTS,
      target: TARGET,
      endpoints: ENDPOINTS,
      per_endpoint_concurrency: Number(process.env.BENCH_CONCURRENCY ?? 0) || "default",
      load_average_before: loadBefore,
      load_average_after: loadAfter,
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
