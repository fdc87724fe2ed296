/** UpstreamPool against the SMSC simulator on 127.0.0.1, port 0. */
import { afterEach, describe, expect, test } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import { isRetryable, NoSessionError } from "../../../src/smpp/net/errors.js";
import type { PduTraceEvent } from "../../../src/smpp/net/pdu-connection.js";
import {
  UpstreamPool,
  type UpstreamPoolConfig,
  type UpstreamPoolOptions,
} from "../../../src/smpp/net/pool.js";
import { eventually, startRelay, submitBody } from "./session-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: ConstructorParameters<typeof Simulator>[0] = {}): Promise<Simulator> {
  const sim = await Simulator.start({
    accounts: [
      { systemId: "alpha", password: "pw1" },
      { systemId: "beta", password: "pw2" },
    ],
    recordSubmits: 0,
    ...options,
  });
  cleanups.push(() => sim.close());
  return sim;
}

function pool(config: Partial<UpstreamPoolConfig> & { port: number }, options: UpstreamPoolOptions = {}) {
  const p = new UpstreamPool(
    { id: "up1", host: "127.0.0.1", system_id: "alpha", password: "pw1", ...config },
    {
      ...options,
      session: { reconnect: { initialMs: 20, maxMs: 200 }, sweepIntervalMs: 10, ...options.session },
    },
  );
  cleanups.push(() => p.close());
  return p;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `workers` loops submitting until stopped; counts successes and keeps failures. */
function keepSending(p: UpstreamPool, workers: number) {
  let running = true;
  const stats = { ok: 0, failures: [] as unknown[] };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        await p.submit(submitBody("load"));
        stats.ok++;
      } catch (err) {
        stats.failures.push(err);
        await sleep(5);
      }
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe("UpstreamPool", () => {
  test("keeps N sessions bound with the same credentials and spreads work by free window", async () => {
    const sim = await simulator({ faults: { responseDelayMs: 20 } });
    const p = pool({ port: sim.port, sessions: 3, window: 4 });
    p.start();
    await eventually(() => p.boundCount === 3, 5000, "three bound sessions");
    expect(sim.sessions().map((s) => s.systemId)).toEqual(["alpha", "alpha", "alpha"]);
    const info = p.sessionsInfo();
    expect(info.map((s) => s.id)).toEqual(["up1#1", "up1#2", "up1#3"]);
    expect(new Set(info.map((s) => s.local_address)).size).toBe(3);

    await Promise.all(Array.from({ length: 60 }, (_, i) => p.submit(submitBody(`m${i}`))));
    const submitted = p.sessionsInfo().map((s) => s.submitted);
    expect(submitted.reduce((a, b) => a + b, 0)).toBe(60);
    for (const n of submitted) expect(n).toBeGreaterThanOrEqual(12);
  });

  test("a killed session is rebuilt while the others keep sending", async () => {
    const sim = await simulator({ faults: { responseDelayMs: 5 } });
    const relay = await startRelay(sim.port);
    cleanups.push(() => relay.close());
    const p = pool({ port: relay.port, sessions: 3, window: 5 });
    p.start();
    await eventually(() => p.boundCount === 3, 5000, "three bound sessions");
    const before = p.sessionsInfo();
    const load = keepSending(p, 8);
    await sleep(100);
    relay.cut(0);
    await eventually(() => p.boundCount < 3, 5000, "one session down");
    const okWhileDown = load.stats.ok;
    await eventually(() => p.boundCount === 3, 5000, "rebuilt");
    const during = load.stats.ok - okWhileDown;
    await sleep(100);
    await load.stop();
    const after = p.sessionsInfo();
    // Exactly one session was rebuilt (new bind time); the other two stayed bound throughout.
    const rebound = after.filter((s, i) => s.bound_at !== before[i]?.bound_at);
    expect(rebound).toHaveLength(1);
    expect(during).toBeGreaterThan(0);
    // Requests caught on the cut connection come back retryable, nothing else fails.
    for (const err of load.stats.failures) expect(isRetryable(err)).toBe(true);
    expect(load.stats.failures.length).toBeLessThanOrEqual(5);
  });

  test("max_tps is held within 10 % across sessions over a few seconds", async () => {
    const sim = await simulator();
    const maxTps = 200;
    const p = pool({ port: sim.port, sessions: 2, window: 20, max_tps: maxTps });
    p.start();
    await eventually(() => p.boundCount === 2, 5000, "bound");
    const load = keepSending(p, 40);
    // Measured after the start-up burst, over an interval timed here, counted by the simulator.
    await sleep(300);
    const before = sim.stats().submits;
    const t0 = performance.now();
    await sleep(3000);
    const sent = sim.stats().submits - before;
    const seconds = (performance.now() - t0) / 1000;
    await load.stop();
    expect(load.stats.failures).toEqual([]);
    // The cap: never more than 10 % over max_tps.
    expect(sent).toBeLessThanOrEqual(maxTps * seconds * 1.1);
    // Not starved either; generous below, since a loaded machine delays the bucket's timer.
    expect(sent).toBeGreaterThanOrEqual(maxTps * seconds * 0.8);
    // Both sessions carried part of it.
    for (const s of p.sessionsInfo()) expect(s.submitted).toBeGreaterThan(0);
  });

  test("a live credential change rebinds without losing any request in flight", async () => {
    const sim = await simulator({ faults: { responseDelayMs: 30 } });
    const config = { port: sim.port, sessions: 2, window: 5 };
    const p = pool(config);
    p.start();
    await eventually(() => p.boundCount === 2, 5000, "bound as alpha");
    const load = keepSending(p, 8);
    await sleep(200);
    const inFlightAtSwitch = p.sessionsInfo().reduce((n, s) => n + s.in_flight, 0);
    expect(inFlightAtSwitch).toBeGreaterThan(0);
    await p.reconfigure({ id: "up1", host: "127.0.0.1", ...config, system_id: "beta", password: "pw2" });
    await eventually(
      () => sim.sessions().length === 2 && sim.sessions().every((s) => s.systemId === "beta"),
      10_000,
      "only beta binds left",
    );
    const okAtSwitch = load.stats.ok;
    await sleep(200);
    await load.stop();
    expect(load.stats.failures).toEqual([]);
    expect(load.stats.ok).toBeGreaterThan(okAtSwitch);
    expect(p.sessionsInfo().map((s) => s.id)).toEqual(["up1#3", "up1#4"]);
    expect(sim.stats().submitsAccepted).toBe(load.stats.ok);
  });

  test("session count and max_tps change live without new binds for the sessions kept", async () => {
    const sim = await simulator();
    const config = { id: "up1", host: "127.0.0.1", port: sim.port, system_id: "alpha", password: "pw1" };
    const p = pool({ ...config, sessions: 1 });
    p.start();
    await eventually(() => p.boundCount === 1, 5000, "one bound");
    await p.reconfigure({ ...config, sessions: 3, max_tps: 1000 });
    await eventually(() => p.boundCount === 3, 5000, "three bound");
    expect(p.sessionsInfo().map((s) => s.id)).toEqual(["up1#1", "up1#2", "up1#3"]);
    await p.reconfigure({ ...config, sessions: 1, max_tps: null });
    await eventually(() => p.sessionsInfo().length === 1, 5000, "two drained");
    expect(sim.sessions()).toHaveLength(1);
    await expect(p.submit(submitBody("still here"))).resolves.toMatchObject({ command_status: 0 });
  });

  test("a submit still waiting for a window slot when the links drop is sent once a session binds again", async () => {
    const sim = await simulator();
    const p = pool({ port: sim.port, sessions: 2, window: 1 });
    p.start();
    await eventually(() => p.boundCount === 2, 5000, "two sessions bound");
    sim.setFaults({ noResponseFraction: 1 });
    const written = [p.submit(submitBody("a")), p.submit(submitBody("b"))].map((r) =>
      r.catch((e: unknown) => e),
    );
    const waiting = p.submit(submitBody("c"), 5000);
    await eventually(() => sim.stats().submits === 2, 5000, "two submits written");
    sim.clearFaults();
    sim.disconnectAll();
    await expect(waiting).resolves.toMatchObject({ command_status: 0 });
    for (const err of await Promise.all(written)) expect(err).toMatchObject({ outcomeUnknown: true });
  });

  test("with no bound session a caller waits (bounded), then gets a retryable NoSessionError", async () => {
    const sim = await simulator();
    const p = pool({ port: sim.port, password: "wrong" }, { session: { credentialBackoffMs: 60_000 } });
    p.start();
    const err = await p.submit(submitBody("nowhere"), 150).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSessionError);
    expect(err).toMatchObject({ retryable: true, outcomeUnknown: false });
    expect(p.sessionsInfo()[0]).toMatchObject({ state: "backoff", bound_at: null });
    expect(p.sessionsInfo()[0]?.last_error).toMatch(/ESME_RINVPASWD/);
  });

  test("the PDU trace is switched on at runtime, inbound PDUs go to the shared handler, close() unbinds all", async () => {
    const sim = await simulator({ dlrDelayMs: 5 });
    const receipts: string[] = [];
    const p = pool(
      { port: sim.port, sessions: 2 },
      {
        onInbound: (_pdu, sessionId) => {
          receipts.push(sessionId);
          return 0;
        },
      },
    );
    p.start();
    await eventually(() => p.boundCount === 2, 5000, "bound");
    await p.submit(submitBody("untraced"));
    const events: PduTraceEvent[] = [];
    p.setTrace((e) => events.push(e));
    const resp = await p.submit(submitBody("traced"));
    await eventually(() => receipts.length === 2, 5000, "both receipts");
    expect(events.filter((e) => e.command === "submit_sm")).toHaveLength(1);
    expect(events.find((e) => e.command === "submit_sm_resp")?.hex).toContain(
      Buffer.from(`${resp.message_id}\0`).toString("hex"),
    );
    for (const e of events) expect(["up1#1", "up1#2"]).toContain(e.session_id);
    p.setTrace(undefined);
    await p.close();
    expect(p.sessionsInfo()).toEqual([]);
    await eventually(() => sim.sessions().length === 0, 5000, "simulator saw both unbinds");
    await expect(p.submit(submitBody("closed"))).rejects.toBeInstanceOf(NoSessionError);
  });

  test("removing the upstream (close) lets requests in flight finish, then unbinds every session", async () => {
    const sim = await simulator({ faults: { responseDelayMs: 100 } });
    const events: PduTraceEvent[] = [];
    const p = pool({ port: sim.port, sessions: 2, window: 5 }, { trace: (e) => events.push(e) });
    p.start();
    await eventually(() => p.boundCount === 2, 5000, "bound");
    const inFlight = Array.from({ length: 6 }, (_, i) => p.submit(submitBody(`last ${i}`)));
    await eventually(() => sim.stats().submits === 6, 5000, "six submits at the SMSC");
    await p.close();
    // Every request in flight was answered, not failed, before the unbinds.
    await expect(Promise.all(inFlight)).resolves.toHaveLength(6);
    const unbinds = events.filter((e) => e.command === "unbind" && e.direction === "tx");
    const answers = events.filter((e) => e.command === "unbind_resp" && e.direction === "rx");
    expect(unbinds.map((e) => e.session_id).sort()).toEqual(["up1#1", "up1#2"]);
    expect(answers.map((e) => e.session_id).sort()).toEqual(["up1#1", "up1#2"]);
    for (const id of ["up1#1", "up1#2"]) {
      const own = events.filter((e) => e.session_id === id).map((e) => e.command);
      expect(own.lastIndexOf("submit_sm_resp")).toBeLessThan(own.indexOf("unbind"));
    }
    await eventually(() => sim.stats().connections === 0, 5000, "simulator sees no connection");
  });
});
