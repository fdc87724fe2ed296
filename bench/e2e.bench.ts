/**
 * End to end (issue 5 "Speed"): PostgreSQL, the service (`smpp-bridge serve` in its own process, built
 * first and run from dist/ as `npm start` runs it, so no TypeScript loader sits in it), the
 * SMSC simulator with receipts (its own process) and the HTTP load generator (its own process), all on
 * this machine. For each concurrency (BENCH_CONCURRENCY, default "50,200"), BENCH_MESSAGES (default
 * 50000) messages are POSTed one per request to /v1/messages; reported per run: accepted/s (202s),
 * submitted/s (every accepted message `sent` or further), receipted/s (every one `delivered`), p50/p99
 * accept latency; the CPU time per message of the service and of its PostgreSQL backends; and the
 * service's peak RSS over the whole benchmark.
 *
 * Webhooks (issue 6): each run's account has one webhook endpoint for every event type, on a receiver
 * in its own process (bench/webhook-sink-child.ts, answers 204), so every delivered message also costs
 * a `message.sent` and a `message.delivered` webhook, and the run waits for all of them. Reported per
 * run: message.delivered webhooks/s (`cN_webhooks_delivered_per_s`) and all webhooks/s
 * (`cN_webhooks_per_s`), each counted from the first accepted message (its created_at) to the arrival
 * of the last one expected; receiver errors (a Standard Webhooks header missing) and duplicates
 * (retries) are reported beside. BENCH_WEBHOOKS=0 creates no endpoint, as before issue 6. Last, a
 * backlog run (BENCH_DRAIN_MESSAGES, default 8,000; 0 skips it) on an endpoint that takes receipts
 * only (`message.delivered`): the receiver holds its requests while the messages are sent and
 * receipted, then answers; the receipt webhooks/s from that release to the last arrival
 * (`webhook_backlog_drain_per_s`) is the rate the service catches up after a receiver's outage, its
 * webhook capacity. The hold ends after 12 s at most (under the 15 s webhook timeout, so nothing is
 * retried); `webhook_backlog_clean` is 0 when that limit, not the last receipt, ended it.
 *
 * The database: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server; a
 * fresh migrated database is created there and dropped at the end. Before the service starts it gets
 * BENCH_HISTORY (default 100,000) delivered messages of history with their parts, receipts, events,
 * deliveries and attempts, and is analyzed (bench/seed-history.ts): the planner then sees tables like
 * an installation's, not ones it takes for empty; BENCH_HISTORY=0 runs on the empty database. Knobs: BENCH_SESSIONS (SMPP
 * sessions, default 2), BENCH_WINDOW (per session, default 100), BENCH_POOL (database connections,
 * default 10), BENCH_LOG_LEVEL (service LOG_LEVEL, default warn). Every wait is bounded
 * (BENCH_PHASE_TIMEOUT_S, default 600 per run). BENCH_PROFILE_DIR, when set, writes a V8 CPU profile of
 * the service there (`--cpu-prof`) to see where its time goes. The service runs with the production
 * node flags (src/ops/heap-policy.ts); BENCH_SERVICE_NODE_ARGS adds more (space-separated, e.g. V8 heap
 * sizes to compare). Last line: one JSON summary.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { loadDatabaseConfig } from "../src/config.js";
import { openDatabase, queryRows } from "../src/db/client.js";
import { SERVICE_NODE_FLAGS } from "../src/ops/heap-policy.js";
import { createMigratedDatabase, dropDatabase, parseDatabaseUrl } from "../test/helpers/pg-admin.js";
import { seedHistory } from "./seed-history.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const num = (name: string, fallback: number) => {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : Number(value);
};
const MESSAGES = num("BENCH_MESSAGES", 50_000);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY || "50,200").split(",").map(Number);
const SESSIONS = num("BENCH_SESSIONS", 2);
const WINDOW = num("BENCH_WINDOW", 100);
const POOL = num("BENCH_POOL", 10);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL || "warn";
const PHASE_TIMEOUT_MS = num("BENCH_PHASE_TIMEOUT_S", 600) * 1000;
const WARMUP_MESSAGES = Math.min(2_000, MESSAGES);
const HISTORY = num("BENCH_HISTORY", 100_000);
const WEBHOOKS = process.env.BENCH_WEBHOOKS !== "0";
const DRAIN_MESSAGES = WEBHOOKS ? num("BENCH_DRAIN_MESSAGES", 8_000) : 0;
/** How long the receiver may hold requests: under the service's 15 s webhook timeout, so none retries. */
const HOLD_LIMIT_MS = 12_000;

interface LoadResult {
  accepted: number;
  seconds: number;
  accepted_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  others: Record<string, number>;
}

/** What bench/webhook-sink-child.ts answers to `stats`; times in ms since the epoch. */
interface SinkStats {
  counts: Record<string, number>;
  last_at: Record<string, number>;
  errors: number;
  duplicates: number;
  cpu_us: number;
}

interface WebhookResult {
  /** message.delivered webhooks/s and all webhooks/s; null when they did not all arrive in time. */
  deliveredPerS: number | null;
  allPerS: number | null;
  received: number;
  errors: number;
  duplicates: number;
}

interface DrainResult {
  /** Webhooks queued in the outbox when the receiver released them, and how many arrived. */
  queued: number;
  received: number;
  /** Webhooks/s from the release to the last arrival; null when not all arrived in time. */
  perS: number | null;
  /** False when the hold limit came before every message was receipted: sending overlapped the drain. */
  clean: boolean;
  duplicates: number;
}

interface RunResult {
  concurrency: number;
  load: LoadResult;
  submittedPerS: number | null;
  receiptedPerS: number | null;
  webhooks: WebhookResult | null;
  rssPeakMb: number;
  /** CPU time per accepted message: the service process, and its database's server backends. */
  serviceCpuMsPerMsg: number;
  postgresCpuMsPerMsg: number;
}

const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Node flags for the service besides the production ones (V8 heap experiments), split on spaces. */
const SERVICE_NODE_ARGS = (process.env.BENCH_SERVICE_NODE_ARGS ?? "").split(" ").filter(Boolean);

/** Spawns `node [nodeArgs] script args`; TypeScript scripts through tsx, built JavaScript as it is. */
function node(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): ChildProcess {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  return spawn(process.execPath, [...nodeArgs, ...loader, script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
}

/** Collects a child's stdout and resolves with its first line that parses as JSON. */
function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffer = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (const line of buffer.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          resolve(JSON.parse(line) as T);
          return;
        } catch {
          // a partial line: wait for more
        }
      }
    });
    child.on("exit", (code) => reject(new Error(`child exited (${code}) before printing its result`)));
  });
}

/** Command and answer over a child's stdin and stdout: `ask` resolves with its next JSON line. */
function jsonChannel(child: ChildProcess): { next<T>(): Promise<T>; ask<T>(command: string): Promise<T> } {
  const waiters: { resolve(line: string): void; reject(error: Error): void }[] = [];
  const pending: string[] = [];
  if (child.stdout === null) throw new Error("the child has no stdout pipe");
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (!line.startsWith("{")) return;
    const waiter = waiters.shift();
    if (waiter === undefined) pending.push(line);
    else waiter.resolve(line);
  });
  child.on("exit", (code) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`child exited (${code})`));
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const line = pending.shift();
      if (line !== undefined) resolve(JSON.parse(line) as T);
      else waiters.push({ resolve: (l) => resolve(JSON.parse(l) as T), reject });
    });
  return {
    next,
    ask: <T>(command: string) => {
      child.stdin?.write(`${command}\n`);
      return next<T>();
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident set now and at its peak (VmRSS, VmHWM) of a process, in MB; zeros when unreadable. */
function rssOf(pid: number | undefined): { now: number; peak: number } {
  if (pid === undefined) return { now: 0, peak: 0 };
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return { now: 0, peak: 0 };
  }
}

/** CPU seconds (user + system) a process has used so far; 0 when unreadable (it exited). */
function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: unknown = await response.json();
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const baseUrl = loadDatabaseConfig().databaseUrl ?? "postgres://postgres@127.0.0.1:5432/postgres";
const dbName = await createMigratedDatabase(baseUrl, "e2e");
const dbUrl = parseDatabaseUrl(baseUrl).withName(dbName);
const database = await openDatabase({ databaseUrl: dbUrl, databasePoolSize: 2 });
await seedHistory(database.db, HISTORY);
const children: ChildProcess[] = [];
const adminToken = `adm_${randomBytes(24).toString("base64url")}`;

try {
  const simulator = node("bench/smpp-simulator-child.ts", []);
  children.push(simulator);
  const { port: smscPort } = await firstJsonLine<{ port: number }>(simulator);
  const sinkChild = WEBHOOKS ? node("bench/webhook-sink-child.ts", []) : undefined;
  if (sinkChild) children.push(sinkChild);
  const sink = sinkChild ? jsonChannel(sinkChild) : undefined;
  const sinkPort = sink ? (await sink.next<{ port: number }>()).port : 0;

  const httpPort = await freePort();
  execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
  const service = node(
    "dist/src/cli.js",
    ["serve"],
    {
      DATABASE_URL: dbUrl,
      DATABASE_POOL_SIZE: String(POOL),
      ADMIN_TOKEN: adminToken,
      SECRET_KEY: randomBytes(32).toString("base64"),
      PORT: String(httpPort),
      HOST: "127.0.0.1",
      LOG_LEVEL,
      // The receiver listens on loopback, which the service refuses by default (SSRF guard).
      ...(WEBHOOKS && { WEBHOOK_ALLOW_PRIVATE: "true" }),
    },
    [
      ...SERVICE_NODE_FLAGS,
      ...SERVICE_NODE_ARGS,
      ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    ],
  );
  children.push(service);
  service.stdout?.resume();
  const url = `http://127.0.0.1:${httpPort}`;
  await until(
    async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200,
    120_000,
    "the service to answer /healthz",
  );

  const upstream = (await api(url, adminToken, "POST", "/admin/upstreams", {
    name: "bench-smsc",
    host: "127.0.0.1",
    port: smscPort,
    system_id: "bench",
    password: "bench",
    sessions: SESSIONS,
    window: WINDOW,
  })) as { id: string };
  await api(url, adminToken, "POST", "/admin/routes", { prefix: "", upstream_ids: [upstream.id] });
  await until(
    async () => {
      const { data } = (await api(url, adminToken, "GET", `/admin/upstreams/${upstream.id}/sessions`)) as {
        data: { state: string }[];
      };
      return data.filter((s) => s.state === "bound").length === SESSIONS;
    },
    60_000,
    "the SMPP sessions to bind",
  );

  let rssPeakMb = 0;
  const sampleRss = () => {
    const rss = rssOf(service.pid);
    rssPeakMb = Math.max(rssPeakMb, rss.peak, rss.now);
  };

  /**
   * One run on a fresh account: load, then wait for every accepted message to be sent and receipted
   * and, with webhooks, for its `message.sent` and `message.delivered` webhooks to reach the receiver.
   */
  async function run(concurrency: number, messages: number): Promise<RunResult> {
    const account = (await api(url, adminToken, "POST", "/admin/accounts", {
      name: `bench-c${concurrency}-${messages}`,
      default_from: "Bench",
    })) as { id: string };
    const { key } = (await api(url, adminToken, "POST", `/admin/accounts/${account.id}/api-keys`, {})) as {
      key: string;
    };
    if (sink) {
      // Counters per run; the run before waited for all of its webhooks, so none arrive after this.
      await sink.ask("reset");
      await api(url, key, "POST", "/v1/webhook-endpoints", {
        url: `http://127.0.0.1:${sinkPort}/hooks/c${concurrency}-${messages}`,
      });
    }
    const backends = (
      await queryRows<{ pid: number }>(
        database.db,
        sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
    ).map((r) => r.pid);
    const cpu = () => ({
      service: service.pid === undefined ? 0 : cpuSecondsOf(service.pid),
      postgres: backends.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    });
    const cpuBefore = cpu();
    const started = performance.now();
    let allSentAt: number | null = null;
    let allDeliveredAt: number | null = null;
    let target = Number.POSITIVE_INFINITY;
    let sinkStats: SinkStats | undefined;
    const webhooksIn = (type: string) => sinkStats?.counts[type] ?? 0;
    const webhooksDone = () =>
      sink === undefined ||
      (webhooksIn("message.sent") >= target && webhooksIn("message.delivered") >= target);
    const loader = node("bench/http-load-child.ts", [
      `${url}/v1/messages`,
      key,
      String(messages),
      String(concurrency),
    ]);
    children.push(loader);
    let loadDone = false;
    const loadResult = firstJsonLine<LoadResult>(loader).then((r) => {
      loadDone = true;
      target = r.accepted;
      return r;
    });
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    while (Date.now() < deadline && (allDeliveredAt === null || !loadDone || !webhooksDone())) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      sampleRss();
      const [counts] = await queryRows<{ sent: number; delivered: number }>(
        database.db,
        sql`SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered', 'undelivered'))::int AS sent,
                   count(*) FILTER (WHERE status = 'delivered')::int AS delivered
            FROM messages WHERE account_id = ${account.id}`,
      );
      const now = performance.now();
      if (loadDone && allSentAt === null && (counts?.sent ?? 0) >= target) allSentAt = now;
      if (loadDone && allDeliveredAt === null && (counts?.delivered ?? 0) >= target) allDeliveredAt = now;
      if (sink) sinkStats = await sink.ask<SinkStats>("stats");
    }
    const load = await loadResult;
    const webhooks = sinkStats ? await webhookRates(account.id, load.accepted, sinkStats) : null;
    const cpuAfter = cpu();
    const perMessage = (seconds: number) => (seconds * 1000) / Math.max(1, load.accepted);
    const rate = (at: number | null) => (at === null ? null : load.accepted / ((at - started) / 1000));
    return {
      concurrency,
      load,
      submittedPerS: rate(allSentAt),
      receiptedPerS: rate(allDeliveredAt),
      webhooks,
      rssPeakMb,
      serviceCpuMsPerMsg: perMessage(cpuAfter.service - cpuBefore.service),
      postgresCpuMsPerMsg: perMessage(cpuAfter.postgres - cpuBefore.postgres),
    };
  }

  /**
   * Webhook rates of a run, timed from its first accepted message (created_at, set by the service on
   * this machine's clock) to the arrival of its last expected webhook (the receiver's clock, the same).
   */
  async function webhookRates(accountId: string, accepted: number, stats: SinkStats): Promise<WebhookResult> {
    const [first] = await queryRows<{ at: Date | string | null }>(
      database.db,
      sql`SELECT min(created_at) AS at FROM messages WHERE account_id = ${accountId}`,
    );
    const from = first?.at === null || first?.at === undefined ? Number.NaN : new Date(first.at).getTime();
    const sent = stats.counts["message.sent"] ?? 0;
    const delivered = stats.counts["message.delivered"] ?? 0;
    const perS = (count: number, at: number | undefined) =>
      at === undefined || !Number.isFinite(from) ? null : count / ((at - from) / 1000);
    const deliveredAt = stats.last_at["message.delivered"];
    const sentAt = stats.last_at["message.sent"];
    const complete = delivered >= accepted && sent >= accepted;
    return {
      deliveredPerS: delivered >= accepted ? perS(delivered, deliveredAt) : null,
      allPerS: complete ? perS(sent + delivered, Math.max(deliveredAt ?? 0, sentAt ?? 0)) : null,
      received: Object.values(stats.counts).reduce((a, b) => a + b, 0),
      errors: stats.errors,
      duplicates: stats.duplicates,
    };
  }

  /**
   * The webhook catch-up run: the receiver holds its requests while DRAIN_MESSAGES messages are sent
   * and receipted, so their receipt webhooks (`message.delivered`, the one event type the endpoint
   * takes) queue up in the outbox; then it answers them all and every later one at once. Timed from
   * that release to the last arrival, with no sending beside it: how fast the service delivers a
   * backlog to one endpoint (after a receiver's outage), which the load runs cannot show, since there
   * webhooks come only as fast as receipts do.
   */
  async function drainRun(messages: number): Promise<DrainResult | null> {
    if (sink === undefined) return null;
    await sink.ask("reset");
    await sink.ask("hold");
    const account = (await api(url, adminToken, "POST", "/admin/accounts", {
      name: `bench-drain-${messages}`,
      default_from: "Bench",
    })) as { id: string };
    const { key } = (await api(url, adminToken, "POST", `/admin/accounts/${account.id}/api-keys`, {})) as {
      key: string;
    };
    const endpoint = (await api(url, key, "POST", "/v1/webhook-endpoints", {
      url: `http://127.0.0.1:${sinkPort}/hooks/drain`,
      events: ["message.delivered"],
    })) as { id: string };
    const loader = node("bench/http-load-child.ts", [`${url}/v1/messages`, key, String(messages), "50"]);
    children.push(loader);
    const started = performance.now();
    let accepted: number | undefined;
    const loadResult = firstJsonLine<LoadResult>(loader).then((r) => {
      accepted = r.accepted;
      return r;
    });
    let queued = 0;
    while (performance.now() - started < HOLD_LIMIT_MS && (accepted === undefined || queued < accepted)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      sampleRss();
      const [row] = await queryRows<{ n: number }>(
        database.db,
        sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = ${endpoint.id}`,
      );
      queued = row?.n ?? 0;
    }
    const clean = accepted !== undefined && queued >= accepted;
    const released = await sink.ask<{ released: number; at: number }>("release");
    const load = await loadResult;
    const expected = load.accepted;
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    let stats = await sink.ask<SinkStats>("stats");
    const arrived = () => stats.counts["message.delivered"] ?? 0;
    while (Date.now() < deadline && arrived() < expected) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sampleRss();
      stats = await sink.ask<SinkStats>("stats");
    }
    const lastAt = stats.last_at["message.delivered"] ?? 0;
    return {
      queued,
      received: arrived(),
      perS: arrived() >= expected ? expected / ((lastAt - released.at) / 1000) : null,
      clean,
      duplicates: stats.duplicates,
    };
  }

  await run(50, WARMUP_MESSAGES);
  const results: RunResult[] = [];
  for (const concurrency of CONCURRENCIES) {
    const result = await run(concurrency, MESSAGES);
    results.push(result);
    const f = (n: number | null) =>
      n === null ? "n/a (timed out)" : `${Math.round(n).toLocaleString("en-US")}/s`;
    console.log(
      `concurrency ${concurrency}: ${result.load.accepted.toLocaleString("en-US")} accepted in ` +
        `${result.load.seconds.toFixed(1)} s — accepted ${f(result.load.accepted_per_s)}, ` +
        `submitted ${f(result.submittedPerS)}, receipted ${f(result.receiptedPerS)}; ` +
        (result.webhooks
          ? `webhooks: message.delivered ${f(result.webhooks.deliveredPerS)}, all ${f(result.webhooks.allPerS)} ` +
            `(${result.webhooks.received.toLocaleString("en-US")} received, ${result.webhooks.errors} errors, ` +
            `${result.webhooks.duplicates} duplicates); `
          : "") +
        `accept p50 ${result.load.p50_ms.toFixed(1)} ms, p99 ${result.load.p99_ms.toFixed(1)} ms; ` +
        `other statuses ${JSON.stringify(result.load.others)}; service RSS peak ${Math.round(rssPeakMb)} MB; ` +
        `CPU per message: service ${result.serviceCpuMsPerMsg.toFixed(3)} ms, ` +
        `PostgreSQL backends ${result.postgresCpuMsPerMsg.toFixed(3)} ms`,
    );
  }
  const drain = DRAIN_MESSAGES > 0 ? await drainRun(DRAIN_MESSAGES) : null;
  if (drain) {
    console.log(
      `webhook backlog: ${drain.queued.toLocaleString("en-US")} receipt webhooks queued behind a held receiver, ` +
        `${drain.received.toLocaleString("en-US")} delivered after its release at ` +
        `${drain.perS === null ? "n/a (timed out)" : `${Math.round(drain.perS).toLocaleString("en-US")}/s`}` +
        `${drain.clean ? "" : " (the hold limit came first: sending overlapped the drain)"}; ` +
        `${drain.duplicates} duplicates`,
    );
  }
  sampleRss();

  const metrics: Record<string, number> = {};
  for (const r of results) {
    const c = `c${r.concurrency}`;
    metrics[`${c}_accepted_per_s`] = Math.round(r.load.accepted_per_s);
    metrics[`${c}_submitted_per_s`] = Math.round(r.submittedPerS ?? 0);
    metrics[`${c}_receipted_per_s`] = Math.round(r.receiptedPerS ?? 0);
    metrics[`${c}_accept_p50_ms`] = Math.round(r.load.p50_ms * 10) / 10;
    metrics[`${c}_accept_p99_ms`] = Math.round(r.load.p99_ms * 10) / 10;
    metrics[`${c}_service_cpu_ms_per_msg`] = Math.round(r.serviceCpuMsPerMsg * 1000) / 1000;
    metrics[`${c}_postgres_cpu_ms_per_msg`] = Math.round(r.postgresCpuMsPerMsg * 1000) / 1000;
    metrics[`${c}_not_accepted`] = Object.values(r.load.others).reduce((a, b) => a + b, 0);
    if (r.webhooks) {
      metrics[`${c}_webhooks_delivered_per_s`] = Math.round(r.webhooks.deliveredPerS ?? 0);
      metrics[`${c}_webhooks_per_s`] = Math.round(r.webhooks.allPerS ?? 0);
      metrics[`${c}_webhook_errors`] = r.webhooks.errors;
      metrics[`${c}_webhook_duplicates`] = r.webhooks.duplicates;
    }
  }
  if (drain) {
    metrics.webhook_backlog_queued = drain.queued;
    metrics.webhook_backlog_drain_per_s = Math.round(drain.perS ?? 0);
    metrics.webhook_backlog_clean = drain.clean ? 1 : 0;
  }
  metrics.rss_peak_mb = Math.round(rssPeakMb);
  console.log(
    JSON.stringify({
      bench: "e2e",
      metrics,
      env: {
        node: process.version,
        cpu: os.cpus()[0]?.model ?? "unknown",
        cores: os.cpus().length,
        load_average_1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
        messages_per_run: MESSAGES,
        smpp_sessions: SESSIONS,
        window: WINDOW,
        database_pool: POOL,
        history_messages: HISTORY,
        log_level: LOG_LEVEL,
        webhooks: WEBHOOKS ? "one endpoint per account, every event type, receiver answers 204" : "none",
        processes: `service, simulator (receipts after 100 ms)${WEBHOOKS ? ", webhook receiver" : ""} and load generator each in its own process`,
      },
    }),
  );
} finally {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      child.kill("SIGTERM");
    }
  }
  await Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              child.kill("SIGKILL");
              resolve();
            }, 15_000);
            child.on("exit", () => {
              clearTimeout(timer);
              resolve();
            });
          }),
    ),
  );
  await database.close();
  await dropDatabase(baseUrl, dbName);
}
