/**
 * The sending pipeline as main wires it, on a real database and a real SMSC simulator on port 0:
 * MessageService (accept) → Dispatcher (in-memory hand-over + poller) → PoolRuntime → simulator →
 * receipts → ReceiptProcessor. Each test file starts its own.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { createAccount } from "../../../src/core/accounts.js";
import { Dispatcher, type DispatcherOptions } from "../../../src/core/dispatch/dispatcher.js";
import type { MessageJson } from "../../../src/core/messages/serialize.js";
import { MessageService } from "../../../src/core/messages/service.js";
import type { MessageSink } from "../../../src/core/messages/sink.js";
import type { SendRequest } from "../../../src/core/messages/types.js";
import { ReceiptProcessor } from "../../../src/core/receipts/processor.js";
import type { UnmatchedSweeperOptions } from "../../../src/core/receipts/unmatched.js";
import { PendingIds, type PendingIdsOptions } from "../../../src/core/results/pending-ids.js";
import { createRoute } from "../../../src/core/routes.js";
import { PoolRuntime, type PoolRuntimeOptions } from "../../../src/core/upstream-runtime-pools.js";
import { createUpstream, type UpstreamInput } from "../../../src/core/upstreams.js";
import { type MessageStatus, messages } from "../../../src/db/schema.js";
import type { SimulatorOptions } from "../../../src/simulator/options.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";

export interface PipelineOptions {
  simulator?: SimulatorOptions;
  /** Upstream settings over the defaults (the simulator's address, 1 session, window 10). */
  upstream?: Partial<UpstreamInput>;
  /** Session settings over the harness's (fast reconnects, a long bind timeout). */
  session?: NonNullable<PoolRuntimeOptions["pool"]>["session"];
  /** Dispatcher settings over fast test defaults (polls every 200 ms, back-off from 50 ms). */
  dispatcher?: Partial<Omit<DispatcherOptions, "db" | "runtime" | "instanceId">>;
  /** Default "instance-a". */
  instanceId?: string;
  /** Add a shared route "" → the upstream. Default true. */
  route?: boolean;
  /** Start the dispatcher (and hand accepted messages to it). Default true. */
  start?: boolean;
  /** Where the MessageService hands accepted messages; default the dispatcher. */
  sink?: MessageSink;
  /** Lease the MessageService writes, seconds. Default 30. */
  leaseSeconds?: number;
  /** The registry of SMSC ids not committed yet, shared by dispatcher and receipts as main shares it. */
  pendingIds?: PendingIdsOptions;
  /** The unmatched-receipt sweeper; default every 500 ms. */
  sweeper?: UnmatchedSweeperOptions;
}

export interface Pipeline {
  database: TestDatabase;
  sim: Simulator;
  runtime: PoolRuntime;
  dispatcher: Dispatcher;
  receipts: ReceiptProcessor;
  pendingIds: PendingIds;
  service: MessageService;
  accountId: string;
  upstreamId: string;
  secretKey: Buffer;
  /** Accepts a message (202 expected) and returns the Message of the response. */
  send(request: Partial<SendRequest> & { text: string }): Promise<MessageJson>;
  get(id: string): Promise<MessageJson>;
  /** Waits (bounded) until the message has one of `statuses`; returns it. */
  waitFor(id: string, statuses: MessageStatus[], timeoutMs?: number): Promise<MessageJson>;
  close(): Promise<void>;
}

export const TO = "+447700900123";

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const database = await createTestDatabase();
  const sim = await Simulator.start({ dlrDelayMs: 20, ...options.simulator });
  const runtime = new PoolRuntime({
    // A long bind timeout: on a loaded machine an in-process PGlite can hold the event loop for
    // seconds, and a bind answered but not yet read must not count as refused.
    pool: {
      submitWaitMs: 2000,
      session: { reconnect: { initialMs: 20, maxMs: 200 }, bindTimeoutMs: 30_000, ...options.session },
    },
  });
  const secretKey = randomBytes(32);
  const db = database.db;
  const account = await createAccount(db, { name: "Acme", defaultFrom: "ACME" });
  const upstream = await createUpstream(
    { db, secretKey, runtime },
    {
      name: "sim",
      host: "127.0.0.1",
      port: sim.port,
      systemId: "bridge",
      password: "pw",
      sessions: 1,
      window: 10,
      responseTimeout: 30,
      ...options.upstream,
    },
  );
  if (options.route ?? true) {
    await createRoute(db, { prefix: "", upstreamIds: [upstream.id], accountId: null });
  }
  const instanceId = options.instanceId ?? "instance-a";
  const pendingIds = new PendingIds(options.pendingIds);
  const dispatcher = new Dispatcher({
    db,
    runtime,
    instanceId,
    pollIntervalMs: 200,
    routeRefreshMs: 0,
    drainTimeoutMs: 3000,
    retry: { backoffBaseMs: 50, backoffMaxMs: 500, jitter: 0 },
    results: { failureBackoffMs: 50 },
    pendingIds,
    ...options.dispatcher,
  });
  const receipts = new ReceiptProcessor({
    db,
    upstreams: runtime,
    writer: { pendingIds },
    sweeper: { intervalMs: 500, ...options.sweeper },
  });
  runtime.setReceiptHandler(receipts);
  receipts.start();
  const service = new MessageService({
    db,
    sink: options.sink ?? dispatcher,
    instanceId,
    leaseMs: (options.leaseSeconds ?? 30) * 1000,
  });
  if (options.start ?? true) {
    await dispatcher.start();
    await runtime.get(upstream.id)?.pool.whenBound(5000);
  }

  const get = (id: string) => service.get(account.id, id);
  return {
    database,
    sim,
    runtime,
    dispatcher,
    receipts,
    pendingIds,
    service,
    accountId: account.id,
    upstreamId: upstream.id,
    secretKey,
    send: async (request) => {
      const response = await service.send(account.id, { to: TO, ...request });
      return response.body;
    },
    get,
    waitFor: async (id, statuses, timeoutMs = 30_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const message = await get(id);
        // Read again once there: the service reads the message and its parts in two queries, which
        // can straddle a commit (status already new, parts not yet).
        if (statuses.includes(message.status)) return get(id);
        if (Date.now() > until) {
          throw new Error(`${id} is ${message.status}, not ${statuses.join("|")}, after ${timeoutMs} ms`);
        }
        await sleep(20);
      }
    },
    close: async () => {
      await service.close();
      await dispatcher.stop();
      await runtime.close();
      await receipts.stop();
      await sim.close();
      await database.close();
    },
  };
}

/** Waits (bounded) until `predicate` holds. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The message row as stored (lease, attempts, next attempt). */
export async function messageRow(pipeline: Pipeline, id: string) {
  const [row] = await pipeline.database.db.select().from(messages).where(eq(messages.id, id));
  if (row === undefined) throw new Error(`no message ${id}`);
  return row;
}
