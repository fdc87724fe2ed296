/**
 * Inbound SMS throughput: the SMSC simulator (in this process, port 0) pushes deliver_sm to a real
 * PoolRuntime whose inbound handler is the InboundProcessor on PostgreSQL (DATABASE_URL; a fresh
 * database is created and dropped) or, without it, in-memory PGlite. Each deliver_sm is answered only
 * after its batch commits, so acknowledged/s is stored/s.
 *
 * Two runs: BENCH_MO (default 20000) single SMS, then BENCH_SETS (default 3000) concatenated SMS of
 * three UDH segments each, delivered shuffled. Last line: one JSON summary.
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import { loadDatabaseConfig } from "../src/config.js";
import { InboundProcessor } from "../src/core/inbound/processor.js";
import type { UpstreamConfig } from "../src/core/upstream-runtime.js";
import { PoolRuntime } from "../src/core/upstream-runtime-pools.js";
import { type OpenDatabase, openDatabase, queryRows } from "../src/db/client.js";
import { runMigrations } from "../src/db/migrations.js";
import { accounts, numbers, upstreams } from "../src/db/schema.js";
import type { DeliverSmBody } from "../src/simulator/delivery-queue.js";
import { buildMo } from "../src/simulator/mo.js";
import { Simulator } from "../src/simulator/simulator.js";
import { createMigratedDatabase, dropDatabase, parseDatabaseUrl } from "../test/helpers/pg-admin.js";

const singles = Number(process.env.BENCH_MO ?? 20_000);
const sets = Number(process.env.BENCH_SETS ?? 3_000);
const TO = "+447700900123";
const LONG = "Concatenated inbound SMS for the benchmark, long enough for three segments. ".repeat(5);

async function openBenchDatabase(): Promise<{ database: OpenDatabase; kind: string; drop(): Promise<void> }> {
  const { databaseUrl } = loadDatabaseConfig();
  if (databaseUrl === undefined) {
    const database = await openDatabase({});
    await runMigrations(database);
    return { database, kind: "pglite (in memory)", drop: async () => {} };
  }
  const name = await createMigratedDatabase(databaseUrl, "bench");
  const database = await openDatabase({ databaseUrl: parseDatabaseUrl(databaseUrl).withName(name) });
  return { database, kind: "postgres", drop: () => dropDatabase(databaseUrl, name) };
}

/** Waits (bounded) until the simulator has had `n` deliver_sm acknowledged; returns the seconds taken. */
async function ackedWithin(sim: Simulator, n: number, started: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  while (sim.stats().moAcked < n) {
    if (Date.now() > deadline) throw new Error(`only ${sim.stats().moAcked} of ${n} acknowledged`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return (performance.now() - started) / 1000;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = items[i];
    const b = items[j];
    if (a !== undefined && b !== undefined) [items[i], items[j]] = [b, a];
  }
  return items;
}

const { database, kind, drop } = await openBenchDatabase();
const sim = await Simulator.start({ accounts: [{ systemId: "bench", password: "pw" }], recordSubmits: 0 });
const runtime = new PoolRuntime();
try {
  const db = database.db;
  const [upstream] = await db
    .insert(upstreams)
    .values({ name: "bench", host: "127.0.0.1", port: sim.port, systemId: "bench", passwordEnc: "unused" })
    .returning({ id: upstreams.id });
  const [account] = await db.insert(accounts).values({ name: "bench" }).returning({ id: accounts.id });
  if (upstream === undefined || account === undefined) throw new Error("setup rows missing");
  await db.insert(numbers).values({ number: TO, accountId: account.id });
  const processor = new InboundProcessor(db, runtime);
  runtime.setInboundHandler(processor);
  const config: UpstreamConfig = {
    id: upstream.id,
    name: "bench",
    host: "127.0.0.1",
    port: sim.port,
    tls: false,
    tls_ca: null,
    tls_servername: null,
    tls_insecure: false,
    system_id: "bench",
    password: "pw",
    system_type: "",
    bind_mode: "transceiver",
    sessions: 2,
    window: 10,
    max_tps: null,
    enquire_link_interval: 30,
    response_timeout: 10,
    source_ton: null,
    source_npi: null,
    dest_ton: null,
    dest_npi: null,
    dcs0_charset: "gsm7",
    long_message_mode: "udh8",
    message_id_format: "auto",
    enabled: true,
    pdu_log: false,
  };
  await runtime.apply(config);
  const bindDeadline = Date.now() + 10_000;
  while (!runtime.isBound(upstream.id)) {
    if (Date.now() > bindDeadline) throw new Error("upstream did not bind");
    await new Promise((r) => setTimeout(r, 10));
  }

  // Single SMS.
  const singleBodies: DeliverSmBody[] = [];
  for (let i = 0; i < singles; i++) {
    singleBodies.push(
      ...buildMo({ from: `+4477009${String(i % 100_000).padStart(5, "0")}`, to: TO, text: `MO ${i}` }, i),
    );
  }
  let started = performance.now();
  sim.injectDeliverSm(singleBodies);
  const singleSeconds = await ackedWithin(sim, singles, started);
  const singlesPerSecond = Math.round(singles / singleSeconds);
  console.log(
    `single SMS:       ${singlesPerSecond.toLocaleString("en-US")} stored/s (${singles} in ${singleSeconds.toFixed(2)} s)`,
  );

  // Concatenated SMS, three segments each, shuffled across sets.
  const segmentBodies: DeliverSmBody[] = [];
  for (let i = 0; i < sets; i++) {
    const from = `+4478009${String(i % 100_000).padStart(5, "0")}`;
    segmentBodies.push(...buildMo({ from, to: TO, text: LONG, concat: "udh8" }, i % 256));
  }
  shuffle(segmentBodies);
  const before = sim.stats().moAcked;
  started = performance.now();
  sim.injectDeliverSm(segmentBodies);
  const concatSeconds = await ackedWithin(sim, before + segmentBodies.length, started);
  const segmentsPerSecond = Math.round(segmentBodies.length / concatSeconds);
  const setsPerSecond = Math.round(sets / concatSeconds);
  console.log(
    `concatenated SMS: ${setsPerSecond.toLocaleString("en-US")} sets/s, ${segmentsPerSecond.toLocaleString("en-US")} segments/s`,
  );

  const [count] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM inbound_messages`);
  if (count?.n !== singles + sets)
    throw new Error(`expected ${singles + sets} inbound messages, found ${count?.n}`);
  const stats = processor.stats;
  await processor.close();
  console.log(
    JSON.stringify({
      bench: "inbound",
      metrics: {
        inbound_single_per_s: singlesPerSecond,
        inbound_concat_sets_per_s: setsPerSecond,
        inbound_segments_per_s: segmentsPerSecond,
        inbound_avg_batch: Math.round((stats.stored / Math.max(1, stats.batches)) * 10) / 10,
      },
      env: {
        node: process.version,
        cpu: os.cpus()[0]?.model ?? "unknown",
        cores: os.cpus().length,
        database: kind,
        simulator: "same process",
        singles,
        sets,
      },
    }),
  );
} finally {
  await runtime.close();
  await sim.close();
  await database.close();
  await drop();
}
