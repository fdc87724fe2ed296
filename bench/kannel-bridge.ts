/**
 * One smpp-bridge run against the Kannel comparison harness (issue 5 "Speed"; driven by
 * bench/kannel-compare.sh, which starts and stops the harness's SMSC simulator and webhook sink
 * around it). In order: a fresh migrated PostgreSQL database; the service (`node dist/src/cli.js
 * serve`, or `src/cli.ts` under tsx) on a free port; through the admin API an upstream to the
 * harness simulator, a catch-all route, an account and an API key; the harness's own load generator
 * (`http-load.mjs --mode post-json … --count-type message.delivered`, as the harness README shows),
 * so the numbers are taken exactly as Kannel's are; then the service is stopped and the database
 * dropped, whatever happened.
 *
 * Kannel keeps its receipts in memory; the bridge keeps everything in PostgreSQL, whose backends are
 * other processes. So the CPU of the backends serving the run's database is sampled from /proc and
 * added to the result line as a `postgres` process (its RSS is left out: shared buffers would make it
 * meaningless). The line goes to `--out` in http-load.mjs's format, for the harness's summarize.mjs.
 *
 * Options (all `--name value`):
 * - `--harness DIR` (required): the harness copy; http-load.mjs runs there, run/sim.pid and
 *   run/sink.pid name the processes to watch.
 * - `--label L` (required), `--out FILE` (required): result label (`…-rN`) and JSON-lines file.
 * - `-n N` (default 20000), `-c C` (default 50): requests and concurrency.
 * - `--sessions S` (default 1), `--window W` (default 100): SMPP binds and window per bind; 1 × 100
 *   mirrors the harness's Kannel (one transceiver bind, max-pending-submits 100).
 * - `--smsc-port P` (default 2775): the harness simulator.
 * - `--runner dist|tsx` (default dist): the built `dist/src/cli.js`, or the sources under tsx.
 * - `--pool P` (default 10): DATABASE_POOL_SIZE of the service.
 * - `--log-level L` (default warn): LOG_LEVEL of the service; its output goes to `--service-log`
 *   (default `<harness>/run/bridge.log`).
 * - `--max-seconds S` (300), `--dlr-wait-s S` (300), `--stall-s S` (60): passed to http-load.mjs,
 *   the same bounds as the harness's run-bench.sh.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server
 * on which the run's database is created and dropped. Exit status: http-load.mjs's, or 1 on a setup
 * failure. Every wait is bounded; SIGINT/SIGTERM stop the run and still clean up.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type postgres from "postgres";
import { loadDatabaseConfig } from "../src/config.js";
import { postgresClient } from "../src/db/client.js";
import { SERVICE_NODE_FLAGS } from "../src/ops/heap-policy.js";
import { createMigratedDatabase, dropDatabase, parseDatabaseUrl } from "../test/helpers/pg-admin.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks
const STOP_GRACE_MS = 15_000;

const { values: opts } = parseArgs({
  options: {
    harness: { type: "string" },
    label: { type: "string" },
    out: { type: "string" },
    n: { type: "string", short: "n", default: "20000" },
    c: { type: "string", short: "c", default: "50" },
    sessions: { type: "string", default: "1" },
    window: { type: "string", default: "100" },
    "smsc-port": { type: "string", default: "2775" },
    runner: { type: "string", default: "dist" },
    pool: { type: "string", default: "10" },
    "log-level": { type: "string", default: "warn" },
    "service-log": { type: "string" },
    "max-seconds": { type: "string", default: "300" },
    "dlr-wait-s": { type: "string", default: "300" },
    "stall-s": { type: "string", default: "60" },
  },
});
if (opts.harness === undefined || opts.label === undefined || opts.out === undefined) {
  console.error("usage: kannel-bridge.ts --harness DIR --label L --out FILE [-n N] [-c C] [--sessions S] …");
  process.exit(2);
}
const HARNESS = resolve(opts.harness);
const OUT = resolve(opts.out);
const LABEL = opts.label;
const SESSIONS = Number(opts.sessions);
const RUNNER = opts.runner === "tsx" ? "tsx" : "dist";
const SERVICE_LOG = resolve(opts["service-log"] ?? join(HARNESS, "run", "bridge.log"));
const HTTP_LOAD_LIMIT_S = Number(opts["max-seconds"]) + Number(opts["dlr-wait-s"]) + 120;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Set by SIGINT/SIGTERM: the run stops at the next step and still cleans up. */
let interrupted = false;

function readPid(name: string): number {
  const file = join(HARNESS, "run", `${name}.pid`);
  if (!existsSync(file))
    throw new Error(`${file} is missing: start the harness with SKIP_KANNEL=1 ./kannel-up.sh`);
  return Number(readFileSync(file, "utf8").trim());
}

/** utime + stime of a process in ticks; undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (interrupted) throw new Error("interrupted");
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(250);
  }
}

async function api(base: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json: unknown = await response.json();
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Resolves when the child has exited; SIGTERM first, SIGKILL after the grace period. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((done) => {
    const timer = setTimeout(() => {
      console.error(`[${LABEL}] pid ${child.pid} did not stop in ${STOP_GRACE_MS / 1000}s; SIGKILL`);
      child.kill("SIGKILL");
    }, STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

/**
 * CPU of the PostgreSQL backends connected to one database, over a time span. Backends come and go
 * with the service's pool, so the set is polled: a backend seen before `start()` counts from its
 * ticks then, one that appears later counts whole (it was born during the run), and one that exits
 * keeps its last sampled ticks (the few ticks after the last poll are lost).
 */
class BackendCpu {
  private readonly base = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private started = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly database: string,
  ) {}

  async start(): Promise<void> {
    await this.poll();
    for (const [pid, ticks] of this.last) this.base.set(pid, ticks);
    this.started = true;
    this.timer = setInterval(() => void this.poll().catch(() => {}), 500);
  }

  /** CPU seconds since start() of every backend seen. */
  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.poll().catch(() => {});
    let ticks = 0;
    for (const [pid, now] of this.last) ticks += now - (this.base.get(pid) ?? 0);
    return ticks / CLK_TCK;
  }

  private async poll(): Promise<void> {
    const rows = await this.sql<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE datname = ${this.database} AND pid <> pg_backend_pid()`;
    for (const { pid } of rows) {
      const ticks = cpuTicks(pid);
      if (ticks === undefined) continue;
      if (!this.started && !this.last.has(pid)) this.base.set(pid, ticks);
      this.last.set(pid, ticks);
    }
  }
}

const baseUrl = loadDatabaseConfig().databaseUrl ?? "postgres://postgres@127.0.0.1:5432/postgres";
const children: ChildProcess[] = [];
const onSignal = () => {
  interrupted = true;
  for (const child of children) child.kill("SIGTERM");
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

let exitCode = 1;
let dbName: string | undefined;
let monitor: postgres.Sql | undefined;
const tmpOut = join(tmpdir(), `kannel-bridge-${process.pid}-${randomBytes(4).toString("hex")}.jsonl`);
try {
  const simPid = readPid("sim");
  const sinkPid = readPid("sink");
  dbName = await createMigratedDatabase(baseUrl, "kannel");
  const dbUrl = parseDatabaseUrl(baseUrl).withName(dbName);
  monitor = postgresClient(baseUrl, { max: 1, onnotice: () => {} });

  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
  const httpPort = await freePort();
  const cli = RUNNER === "dist" ? ["dist/src/cli.js"] : ["--import", "tsx", "src/cli.ts"];
  if (RUNNER === "dist" && !existsSync(join(ROOT, "dist/src/cli.js")))
    throw new Error("run npm run build first");
  const logFd = openSync(SERVICE_LOG, "a");
  // BRIDGE_PROFILE_DIR: a V8 CPU profile of the service, written there when it exits.
  const profile = process.env.BRIDGE_PROFILE_DIR
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BRIDGE_PROFILE_DIR}`]
    : [];
  const service = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...profile, ...cli, "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: dbUrl,
      DATABASE_POOL_SIZE: opts.pool,
      ADMIN_TOKEN: adminToken,
      SECRET_KEY: randomBytes(32).toString("base64"),
      PORT: String(httpPort),
      HOST: "127.0.0.1",
      WEBHOOK_ALLOW_PRIVATE: "true",
      LOG_LEVEL: opts["log-level"],
    },
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  children.push(service);
  const url = `http://127.0.0.1:${httpPort}`;
  await until(
    async () => {
      if (service.exitCode !== null)
        throw new Error(`the service exited (${service.exitCode}); see ${SERVICE_LOG}`);
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200;
    },
    120_000,
    "the service to answer /healthz",
  );

  const upstream = (await api(url, adminToken, "POST", "/admin/upstreams", {
    name: "kannel-harness-sim",
    host: "127.0.0.1",
    port: Number(opts["smsc-port"]),
    system_id: "bridge",
    password: "bridge",
    sessions: SESSIONS,
    window: Number(opts.window),
  })) as { id: string };
  await api(url, adminToken, "POST", "/admin/routes", { prefix: "", upstream_ids: [upstream.id] });
  const account = (await api(url, adminToken, "POST", "/admin/accounts", { name: "kannel-compare" })) as {
    id: string;
  };
  const { key } = (await api(url, adminToken, "POST", `/admin/accounts/${account.id}/api-keys`, {})) as {
    key: string;
  };
  await until(
    async () => {
      const { data } = (await api(url, adminToken, "GET", `/admin/upstreams/${upstream.id}/sessions`)) as {
        data: { state: string }[];
      };
      return data.filter((s) => s.state === "bound").length >= SESSIONS;
    },
    60_000,
    "the SMPP sessions to bind",
  );
  await sleep(1000); // as run-bench.sh waits 1 s after kannel-up.sh

  if (interrupted) throw new Error("interrupted");
  const backends = new BackendCpu(monitor, dbName);
  await backends.start();
  const load = spawn(
    process.execPath,
    [
      "http-load.mjs",
      "--mode",
      "post-json",
      "--url",
      `${url}/v1/messages`,
      "--body",
      '{"to":"{to}","from":"Bench","text":"{text}","status_callback_url":"{dlr}"}',
      "--header",
      `authorization: Bearer ${key}`,
      "--count-type",
      "message.delivered",
      "--dlr-url",
      "http://127.0.0.1:13080/dlr?run={run}&i={i}",
      "-n",
      opts.n,
      "-c",
      opts.c,
      "--watch",
      `bridge=${service.pid},sim=${simPid},sink=${sinkPid}`,
      "--label",
      LABEL,
      "--out",
      tmpOut,
      "--max-seconds",
      opts["max-seconds"],
      "--dlr-wait-s",
      opts["dlr-wait-s"],
      "--stall-s",
      opts["stall-s"],
    ],
    { cwd: HARNESS, stdio: ["ignore", "inherit", "inherit"] },
  );
  children.push(load);
  const loadCode = await new Promise<number>((done) => {
    const limit = setTimeout(() => load.kill("SIGKILL"), HTTP_LOAD_LIMIT_S * 1000);
    load.once("exit", (code) => {
      clearTimeout(limit);
      done(code ?? 1);
    });
  });
  const pgCpuS = await backends.stop();
  if (interrupted) throw new Error("interrupted");

  if (existsSync(tmpOut)) {
    const result = JSON.parse(readFileSync(tmpOut, "utf8").trim().split("\n").at(-1) ?? "{}") as {
      wall_secs: number;
      procs: Record<string, unknown>;
    };
    result.procs.postgres = {
      cpu_s_total: Math.round(pgCpuS * 100) / 100,
      cpu_pct_total: Math.round((pgCpuS / result.wall_secs) * 100),
      peak_rss_mb: null,
      hwm_rss_mb: null,
    };
    appendFileSync(OUT, `${JSON.stringify(result)}\n`);
    console.log(
      `[${LABEL}] postgres backends of the run's database: ${pgCpuS.toFixed(2)}s cpu ` +
        `(${Math.round((pgCpuS / result.wall_secs) * 100)}%)`,
    );
  }
  exitCode = loadCode;
} catch (error) {
  console.error(`[${LABEL}] ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await Promise.all(children.map(stop));
  rmSync(tmpOut, { force: true });
  await monitor?.end({ timeout: 5 });
  if (dbName !== undefined) await dropDatabase(baseUrl, dbName).catch((e) => console.error(String(e)));
}
process.exit(exitCode);
