/**
 * The sending pipeline without HTTP: MessageService (group-commit accept) → Dispatcher → PoolRuntime →
 * SMSC simulator (in this process, receipts on) → ReceiptProcessor, on the database of DATABASE_URL (or
 * an in-memory PGlite without it). Measures accepted/s with accept latency, submitted/s and receipted
 * (delivered) /s end to end, and peak RSS.
 *
 *   npm run bench:dispatch -- [--messages 20000] [--concurrency 200]
 *
 * Ends with one JSON line (bench "dispatch").
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { loadDatabaseConfig } from "../src/config.js";
import { createAccount } from "../src/core/accounts.js";
import { Dispatcher } from "../src/core/dispatch/dispatcher.js";
import { MessageService } from "../src/core/messages/service.js";
import { ReceiptProcessor } from "../src/core/receipts/processor.js";
import { createRoute } from "../src/core/routes.js";
import { PoolRuntime } from "../src/core/upstream-runtime-pools.js";
import { createUpstream } from "../src/core/upstreams.js";
import { openDatabase, queryRows } from "../src/db/client.js";
import { runMigrations } from "../src/db/migrations.js";
import { Simulator } from "../src/simulator/simulator.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "200" },
  },
});
const total = Number(values.messages);
const concurrency = Number(values.concurrency);

const { databaseUrl } = loadDatabaseConfig();
const database = await openDatabase({ databaseUrl, databasePoolSize: 10 });
await runMigrations(database);
const db = database.db;
const sim = await Simulator.start({ recordSubmits: 0, dlrDelayMs: 100 });
const runtime = new PoolRuntime();
const instanceId = `bench-${process.pid}`;
const dispatcher = new Dispatcher({ db, runtime, instanceId, concurrency: 2000 });
const receipts = new ReceiptProcessor({ db, upstreams: runtime });
runtime.setReceiptHandler(receipts);
receipts.start();
const service = new MessageService({ db, sink: dispatcher, instanceId });

let rssPeak = 0;
const rssTimer = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 100);

try {
  const tag = randomBytes(3).toString("hex");
  const account = await createAccount(db, { name: `bench-${tag}`, defaultFrom: "BENCH" });
  const upstream = await createUpstream(
    { db, secretKey: randomBytes(32), runtime },
    {
      name: `bench-${tag}`,
      host: "127.0.0.1",
      port: sim.port,
      systemId: "bench",
      password: "pw",
      sessions: 2,
      window: 100,
    },
  );
  await createRoute(db, { prefix: "", upstreamIds: [upstream.id], accountId: account.id });
  await dispatcher.start();
  await runtime.get(upstream.id)?.pool.whenBound(10_000);

  const latencies: number[] = [];
  const ids: string[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const response = await service.send(account.id, {
          to: `+4477009${String(i % 100_000).padStart(5, "0")}`,
          text: `bench message ${i}`,
        });
        latencies.push(performance.now() - t0);
        ids.push(response.body.id);
      }
    }),
  );
  const acceptedAt = performance.now();

  const deadline = Date.now() + 600_000;
  let submittedAt = 0;
  let deliveredAt = 0;
  while (Date.now() < deadline) {
    if (submittedAt === 0 && sim.stats().submitsAccepted >= total) submittedAt = performance.now();
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM messages WHERE account_id = ${account.id} AND status = 'delivered'`,
    );
    if ((row?.n ?? 0) >= total) {
      deliveredAt = performance.now();
      if (submittedAt === 0) submittedAt = deliveredAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (deliveredAt === 0) throw new Error("not every message was delivered within 10 minutes");

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  const seconds = (t: number) => (t - started) / 1000;
  const metrics = {
    accepted_per_s: Math.round(total / seconds(acceptedAt)),
    submitted_per_s: Math.round(total / seconds(submittedAt)),
    delivered_per_s: Math.round(total / seconds(deliveredAt)),
    accept_p50_ms: Number(pct(0.5).toFixed(2)),
    accept_p99_ms: Number(pct(0.99).toFixed(2)),
    rss_peak_mb: Math.round(rssPeak / 1024 / 1024),
  };
  console.log(
    `${total} messages, ${concurrency} concurrent accepts: accepted ${metrics.accepted_per_s}/s ` +
      `(p50 ${metrics.accept_p50_ms} ms, p99 ${metrics.accept_p99_ms} ms), submitted ${metrics.submitted_per_s}/s, ` +
      `delivered ${metrics.delivered_per_s}/s end to end, RSS peak ${metrics.rss_peak_mb} MB`,
  );
  console.log(
    JSON.stringify({
      bench: "dispatch",
      metrics,
      env: {
        node: process.version,
        cpu: os.cpus()[0]?.model ?? "unknown",
        cores: os.cpus().length,
        database: database.kind,
        messages: total,
        concurrency,
        simulator: "same process, receipts after 100 ms",
        upstream: "2 sessions, window 100",
      },
    }),
  );
} finally {
  clearInterval(rssTimer);
  await service.close();
  await dispatcher.stop();
  await runtime.close();
  await receipts.stop();
  await sim.close();
  await database.close();
}
