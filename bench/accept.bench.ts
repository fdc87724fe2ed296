/**
 * Accept throughput: HTTP POST /v1/messages against the real app (auth, validation, group commit) on
 * PostgreSQL (DATABASE_URL; a fresh database is created and dropped) or, without it, in-memory PGlite.
 * The dispatcher is a null sink: this measures acceptance alone. The load generator runs in another
 * process (bench/http-load-child.ts) over keep-alive connections.
 *
 * For each concurrency (BENCH_CONCURRENCY, default "50,200"): a warm-up, then BENCH_MESSAGES (default
 * 20000) messages; reported: accepted/s, p50/p99 accept latency, and the average group-commit size.
 * Tuning knobs: BENCH_LINGER_MS, BENCH_GROUP_MAX, BENCH_IN_FLIGHT, BENCH_POOL (connections).
 * Last line: one JSON summary.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { createApp } from "../src/api/app.js";
import { loadDatabaseConfig } from "../src/config.js";
import { createAccount } from "../src/core/accounts.js";
import { createApiKey } from "../src/core/api-keys.js";
import { MessageService } from "../src/core/messages/service.js";
import type { MessageSink } from "../src/core/messages/sink.js";
import { type OpenDatabase, openDatabase, queryRows } from "../src/db/client.js";
import { runMigrations } from "../src/db/migrations.js";
import { FakeUpstreamRuntime } from "../test/helpers/fake-upstream-runtime.js";
import { createMigratedDatabase, dropDatabase, parseDatabaseUrl } from "../test/helpers/pg-admin.js";

const messagesPerRun = Number(process.env.BENCH_MESSAGES ?? 20_000);
const concurrencies = (process.env.BENCH_CONCURRENCY || "50,200").split(",").map(Number);
const num = (name: string) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
const groupCommit = {
  lingerMs: num("BENCH_LINGER_MS"),
  maxGroupMessages: num("BENCH_GROUP_MAX"),
  maxInFlight: num("BENCH_IN_FLIGHT"),
};
const poolSize = num("BENCH_POOL");

interface LoadResult {
  accepted: number;
  seconds: number;
  accepted_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  others: Record<string, number>;
}

async function openBenchDatabase(): Promise<{ database: OpenDatabase; kind: string; drop(): Promise<void> }> {
  const { databaseUrl } = loadDatabaseConfig();
  if (databaseUrl === undefined) {
    const database = await openDatabase({});
    await runMigrations(database);
    return { database, kind: "pglite (in memory)", drop: async () => {} };
  }
  const name = await createMigratedDatabase(databaseUrl, "bench");
  const database = await openDatabase({
    databaseUrl: parseDatabaseUrl(databaseUrl).withName(name),
    databasePoolSize: poolSize,
  });
  return { database, kind: "postgres", drop: () => dropDatabase(databaseUrl, name) };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const USER_HZ = 100;

/**
 * CPU seconds used so far by the PostgreSQL backends serving this database (our pool's connections),
 * read from /proc; null when the server is not local or /proc is not readable (PGlite: it runs inside
 * this process, so the process's own CPU time already counts it).
 */
async function databaseCpuSeconds(database: OpenDatabase): Promise<number | null> {
  if (database.kind !== "postgres") return null;
  const rows = await queryRows<{ pid: number }>(
    database.db,
    sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`,
  );
  let ticks = 0;
  try {
    for (const { pid } of rows) {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      // Fields after the ")" closing the command name: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return null;
  }
  return ticks / USER_HZ;
}

function runLoad(url: string, token: string, count: number, concurrency: number): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(new URL("./http-load-child.ts", import.meta.url)),
      url,
      token,
      String(count),
      String(concurrency),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  return once(child, "exit").then(([code]) => {
    if (code !== 0) throw new Error(`load generator exited with ${String(code)}`);
    return JSON.parse(out.trim().split("\n").pop() ?? "{}") as LoadResult;
  });
}

/**
 * The same load against a bare node:http server that parses the JSON body and answers a small 202:
 * the floor any HTTP service pays on this machine at this moment (the machine is often shared, so the
 * absolute figures move; the ratio to the floor says what our own path costs).
 */
async function measureFloor(count: number, concurrency: number): Promise<{ perS: number; cpuUs: number }> {
  const floor = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(202, { "Content-Type": "application/json" });
      res.end('{"id":"msg_0","status":"queued"}');
    });
  });
  await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve));
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/v1/messages`;
  await runLoad(floorUrl, "-", Math.min(2000, count), concurrency);
  const before = process.cpuUsage();
  const result = await runLoad(floorUrl, "-", count, concurrency);
  const cpu = process.cpuUsage(before);
  await new Promise<void>((resolve) => floor.close(() => resolve()));
  return { perS: result.accepted_per_s, cpuUs: (cpu.user + cpu.system) / result.accepted };
}

const { database, kind, drop } = await openBenchDatabase();
const nullSink: MessageSink = { enqueue: () => {} };
const service = new MessageService({
  db: database.db,
  sink: nullSink,
  instanceId: "bench",
  groupCommit,
  logger: pino({ level: "warn" }),
});
const app = createApp({
  db: database.db,
  config: { adminToken: randomBytes(24).toString("base64url"), secretKey: randomBytes(32) },
  upstreamRuntime: new FakeUpstreamRuntime(),
  logger: pino({ level: "warn" }),
  messages: service,
});
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
});
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/messages`;
const account = await createAccount(database.db, { name: "bench", defaultFrom: "BENCH" });
const { key } = await createApiKey(database.db, account.id, "bench");

const metrics: Record<string, number> = {};
const floor = await measureFloor(Math.min(10_000, messagesPerRun), concurrencies[0] ?? 50);
console.log(
  `floor (bare node:http 202): ${Math.round(floor.perS)} req/s, ${floor.cpuUs.toFixed(0)} µs CPU per request`,
);
metrics.http_floor_per_s = Math.round(floor.perS);
metrics.http_floor_cpu_us_per_req = Math.round(floor.cpuUs);
try {
  for (const concurrency of concurrencies) {
    await runLoad(url, key, Math.min(2000, messagesPerRun), concurrency); // warm-up: JIT, pool, plans
    const before = service.stats;
    const cpuBefore = process.cpuUsage();
    const dbCpuBefore = await databaseCpuSeconds(database);
    const result = await runLoad(url, key, messagesPerRun, concurrency);
    const cpu = process.cpuUsage(cpuBefore);
    const dbCpuAfter = await databaseCpuSeconds(database);
    const after = service.stats;
    // CPU per accepted message: what the rate would be on idle cores, whatever else the machine runs.
    const serverUs = (cpu.user + cpu.system) / result.accepted;
    const dbUs =
      dbCpuBefore === null || dbCpuAfter === null
        ? null
        : ((dbCpuAfter - dbCpuBefore) * 1e6) / result.accepted;
    const groups = after.groups - before.groups;
    const avgGroup = groups === 0 ? 0 : (after.messages - before.messages) / groups;
    console.log(
      `c=${concurrency}: ${Math.round(result.accepted_per_s)} accepted/s, p50 ${result.p50_ms.toFixed(1)} ms, ` +
        `p99 ${result.p99_ms.toFixed(1)} ms, max ${result.max_ms.toFixed(1)} ms, ${groups} groups ` +
        `(avg ${avgGroup.toFixed(1)} msgs), not 202: ${JSON.stringify(result.others)}; CPU per message: ` +
        `service ${serverUs.toFixed(0)} µs, database ${dbUs === null ? "n/a" : `${dbUs.toFixed(0)} µs`}`,
    );
    metrics[`service_cpu_us_per_msg_c${concurrency}`] = Math.round(serverUs);
    if (dbUs !== null) metrics[`db_cpu_us_per_msg_c${concurrency}`] = Math.round(dbUs);
    metrics[`accepted_per_cpu_s_c${concurrency}`] = Math.round(1e6 / (serverUs + (dbUs ?? 0)));
    metrics[`accepted_per_s_c${concurrency}`] = Math.round(result.accepted_per_s);
    metrics[`accept_p50_ms_c${concurrency}`] = Number(result.p50_ms.toFixed(2));
    metrics[`accept_p99_ms_c${concurrency}`] = Number(result.p99_ms.toFixed(2));
    metrics[`group_avg_messages_c${concurrency}`] = Number(avgGroup.toFixed(1));
    metrics[`not_accepted_c${concurrency}`] = Object.values(result.others).reduce((a, b) => a + b, 0);
  }
} finally {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await service.close();
  await database.close();
  await drop();
}
console.log(
  JSON.stringify({
    bench: "accept",
    metrics,
    env: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? "unknown",
      loadavg_1m: Number(os.loadavg()[0]?.toFixed(2)),
      database: kind,
      messages_per_run: messagesPerRun,
      load_generator: "separate process, node:http keep-alive, loopback",
    },
  }),
);
