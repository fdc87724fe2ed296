/**
 * The inbound path end to end in one process: the SMSC simulator on 127.0.0.1 port 0 pushes deliver_sm
 * to a real PoolRuntime (ClientSession underneath) whose inbound handler is an InboundProcessor on a
 * real database (PGlite, or a PostgreSQL clone with DATABASE_URL).
 */
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { InboundProcessor, type InboundProcessorOptions } from "../../../src/core/inbound/processor.js";
import type { UpstreamConfig } from "../../../src/core/upstream-runtime.js";
import { PoolRuntime } from "../../../src/core/upstream-runtime-pools.js";
import type { Database } from "../../../src/db/client.js";
import { accounts, inboundMessages, numbers, upstreams } from "../../../src/db/schema.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { logLines } from "../../helpers/log-lines.js";
import { eventually } from "../smpp/session-helpers.js";

export const OWNED_NUMBER = "+447700900123";

export interface InboundRig {
  database: TestDatabase;
  sim: Simulator;
  runtime: PoolRuntime;
  processor: InboundProcessor;
  upstreamId: string;
  upstreamName: string;
  accountId: string;
  /** Every log line the processor wrote, parsed. */
  logs: Record<string, unknown>[];
  /** A new processor on `db` (default: the rig's database) that the runtime hands inbound SMS to. */
  swapProcessor(db?: Database, options?: InboundProcessorOptions): Promise<InboundProcessor>;
  /** Waits until the simulator has had `n` deliver_sm acknowledged in total. */
  acked(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRig(
  options: { dcs0?: UpstreamConfig["dcs0_charset"]; sessions?: number; answerInTimeMs?: number } = {},
): Promise<InboundRig> {
  const database = await createTestDatabase();
  const db = database.db;
  const sim = await Simulator.start({
    accounts: [{ systemId: "bridge", password: "pw" }],
    recordSubmits: 0,
    deliveryRetryDelayMs: 20,
    maxDeliveryAttempts: 1000,
  });
  const upstreamName = "sim-inbound";
  const [upstream] = await db
    .insert(upstreams)
    .values({
      name: upstreamName,
      host: "127.0.0.1",
      port: sim.port,
      systemId: "bridge",
      passwordEnc: "unused",
    })
    .returning({ id: upstreams.id });
  const [account] = await db.insert(accounts).values({ name: "acme" }).returning({ id: accounts.id });
  if (upstream === undefined || account === undefined) throw new Error("setup rows missing");
  await db.insert(numbers).values({ number: OWNED_NUMBER, accountId: account.id });

  const { stream: sink, lines: logs } = logLines();
  const logger = pino({ level: "info" }, sink);
  const runtime = new PoolRuntime({
    pool: { session: { reconnect: { initialMs: 20, maxMs: 200 }, answerInTimeMs: options.answerInTimeMs } },
  });
  const rig: InboundRig = {
    database,
    sim,
    runtime,
    processor: new InboundProcessor(db, runtime, { logger }),
    upstreamId: upstream.id,
    upstreamName,
    accountId: account.id,
    logs,
    async swapProcessor(target = db, processorOptions = {}) {
      const next = new InboundProcessor(target, runtime, { logger, ...processorOptions });
      runtime.setInboundHandler(next);
      rig.processor = next;
      return next;
    },
    acked: (n) => eventually(() => sim.stats().moAcked >= n, 15_000, `${n} deliver_sm acknowledged`),
    async close() {
      await runtime.close();
      await rig.processor.close();
      await sim.close();
      await database.close();
    },
  };
  runtime.setInboundHandler(rig.processor);
  await runtime.apply(
    upstreamConfig(upstream.id, upstreamName, sim.port, options.dcs0 ?? "gsm7", options.sessions ?? 2),
  );
  await eventually(() => runtime.isBound(upstream.id), 10_000, "upstream bound");
  return rig;
}

function upstreamConfig(
  id: string,
  name: string,
  port: number,
  dcs0: UpstreamConfig["dcs0_charset"],
  sessions: number,
): UpstreamConfig {
  return {
    id,
    name,
    host: "127.0.0.1",
    port,
    tls: false,
    tls_ca: null,
    tls_servername: null,
    tls_insecure: false,
    system_id: "bridge",
    password: "pw",
    system_type: "",
    bind_mode: "transceiver",
    sessions,
    window: 10,
    max_tps: null,
    enquire_link_interval: 30,
    response_timeout: 10,
    source_ton: null,
    source_npi: null,
    dest_ton: null,
    dest_npi: null,
    dcs0_charset: dcs0,
    long_message_mode: "udh8",
    message_id_format: "auto",
    enabled: true,
    pdu_log: false,
  };
}

/** Inbound messages, oldest first. */
export function inboundRows(db: Database) {
  return db.select().from(inboundMessages).orderBy(inboundMessages.id);
}

/** Inbound messages to one number, oldest first. */
export function inboundTo(db: Database, to: string) {
  return db.select().from(inboundMessages).where(eq(inboundMessages.to, to)).orderBy(inboundMessages.id);
}

/** A deterministic shuffle (so a failure can be replayed): Fisher–Yates driven by a seeded LCG. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) continue;
    out[i] = b;
    out[j] = a;
  }
  return out;
}

/** Polls `check` every 20 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the simulator has no inbound SMS left to deliver (every one acknowledged or given up). */
export function settled(sim: Simulator): Promise<void> {
  return eventually(
    () => {
      const s = sim.stats();
      return s.moAcked + s.moFailed >= s.moInjected && s.retrying === 0 && s.held === 0;
    },
    15_000,
    "every injected deliver_sm answered",
  );
}
