/**
 * `smpp-bridge serve` as a child process, stopped with SIGTERM in the middle of a load: it exits 0,
 * every session it had bound sent unbind (seen at the SMPP relay in front of the simulator), and after
 * a restart every message that got a 202 is in the database and ends sent or delivered. Then a second
 * signal during a shutdown exits at once. The logs of both runs hold no secret.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { freePort, type ServeChild, spawnCli } from "./child.js";
import { call, type Provisioned, provision, startReceiver, waitFor } from "./harness.js";
import { SmppRelay } from "./smpp-relay.js";

const SYSTEM_ID = "loadtest";
const PASSWORD = `q${randomBytes(4).toString("hex").slice(0, 7)}`;
/** 202s to collect before SIGTERM: enough that submits, receipts and accepts are all in flight. */
const ACCEPTED_BEFORE_SIGNAL = 300;
const SENDERS = 8;

describe("smpp-bridge serve in a child process", () => {
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let simulator: Simulator;
  let relay: SmppRelay;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const children: ServeChild[] = [];
  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), "smpp-bridge-serve-"));
    const port = await freePort();
    env = {
      PORT: String(port),
      HOST: "127.0.0.1",
      ADMIN_TOKEN: adminToken,
      SECRET_KEY: randomBytes(32).toString("base64"),
      WEBHOOK_ALLOW_PRIVATE: "true",
      LOG_LEVEL: "info",
      DATA_DIR: dataDir,
      ...(database.url !== undefined && { DATABASE_URL: database.url }),
    };
    simulator = await Simulator.start({
      accounts: [{ systemId: SYSTEM_ID, password: PASSWORD }],
      dlrDelayMs: 20,
    });
    relay = await SmppRelay.start({ host: "127.0.0.1", port: simulator.port });
    receiver = await startReceiver();
  });

  afterAll(async () => {
    for (const child of children) child.signal("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
    await receiver?.close();
    await relay?.close();
    await simulator?.close();
    await database?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("stops on SIGTERM mid-load with exit 0, unbinds every session, loses nothing acknowledged", {
    timeout: 300_000,
  }, async () => {
    const t0 = Date.now();
    const phase = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const first = spawnCli(["serve"], env);
    children.push(first);
    const url = await first.listening();
    phase("first run listening");
    // Provision against the relay, so every SMPP byte the service sends passes the unbind counter.
    const relayed = { port: relay.port } as Simulator;
    const p: Provisioned = await provision(url, adminToken, relayed, {
      systemId: SYSTEM_ID,
      password: PASSWORD,
      sessions: 2,
      window: 20,
    });
    const endpoint = await call(url, "POST", "/v1/webhook-endpoints", p.apiKey, { url: receiver.url });
    expect(endpoint.status).toBe(201);
    const webhookSecret = (endpoint.body as { secret: string }).secret;

    const accepted: string[] = [];
    let refusals = 0;
    let signalled = false;
    const sender = async (n: number) => {
      for (let i = 0; ; i++) {
        let status: number;
        let body: unknown;
        try {
          ({ status, body } = await call(url, "POST", "/v1/messages", p.apiKey, {
            to: `+4477009${String(n).padStart(2, "0")}${String(i % 1000).padStart(3, "0")}`,
            text: `load ${n}/${i}`,
          }));
        } catch {
          // Connection refused or cut: the service is gone (only ever after the signal).
          expect(signalled).toBe(true);
          return;
        }
        if (status === 202) accepted.push((body as { id: string }).id);
        else {
          expect(status).toBe(503);
          expect(signalled).toBe(true);
          refusals++;
          return;
        }
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, n) => sender(n));
    await waitFor(() => accepted.length >= ACCEPTED_BEFORE_SIGNAL, "the load to build up", 120_000);
    signalled = true;
    phase("load built up; SIGTERM");
    first.signal("SIGTERM");
    await Promise.all(senders);
    const exit = await first.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    console.log(`accepted before stop: ${accepted.length}, refused while draining: ${refusals}`);

    const bound = relay.connections.filter((c) => c.bound);
    expect(bound.length).toBeGreaterThanOrEqual(2);
    expect(bound.filter((c) => !c.unbound)).toEqual([]);
    expect(simulator.stats().bound).toBe(0);

    // Restart on the same database and port: everything acknowledged is there and goes out.
    const second = spawnCli(["serve"], env);
    children.push(second);
    phase("first run exited; restarting");
    const url2 = await second.listening();
    phase("second run listening");
    const pending = new Set(accepted);
    const statuses = new Map<string, string>();
    await waitFor(
      async () => {
        for (const id of [...pending].slice(0, 200)) {
          const got = await call(url2, "GET", `/v1/messages/${id}`, p.apiKey);
          expect(got.status).toBe(200);
          const status = (got.body as { status: string }).status;
          statuses.set(id, status);
          if (status === "sent" || status === "delivered") pending.delete(id);
        }
        return pending.size === 0;
      },
      "every accepted message to be sent",
      120_000,
      200,
    );
    expect([...statuses.values()].every((s) => s === "sent" || s === "delivered")).toBe(true);
    phase("every accepted message sent");

    // A second signal while the first shutdown waits (for a submit the simulator holds unanswered)
    // exits at once.
    const before = simulator.stats().submits;
    simulator.setFaults({ responseDelayMs: 60_000 });
    const held = await call(url2, "POST", "/v1/messages", p.apiKey, { to: "+447700900999", text: "held" });
    expect(held.status).toBe(202);
    await waitFor(() => simulator.stats().submits > before, "the submit to reach the simulator");
    second.signal("SIGTERM");
    await waitFor(() => second.logs().some((l) => l.msg === "shutting down"), "the shutdown to begin");
    second.signal("SIGINT");
    const exit2 = await second.exited;
    simulator.clearFaults();
    expect(exit2).toEqual({ code: 130, signal: null });
    expect(second.logs().some((l) => l.msg === "second signal: exiting now")).toBe(true);

    // No secret in any log line of either run (the embedded-mode demo banner is not a log line).
    const logText = [first, second]
      .flatMap((c) => c.output().split("\n"))
      .filter((line) => line.startsWith("{"))
      .join("\n");
    expect(logText).toContain('"msg":"request"');
    for (const secret of [p.apiKey, adminToken, PASSWORD, webhookSecret]) {
      expect(logText.includes(secret)).toBe(false);
    }
    if (database.url !== undefined) {
      // Production mode prints nothing but log lines: the whole output is clean.
      const all = first.output() + second.output();
      for (const secret of [p.apiKey, adminToken, PASSWORD, webhookSecret])
        expect(all.includes(secret)).toBe(false);
    }
  });
});
