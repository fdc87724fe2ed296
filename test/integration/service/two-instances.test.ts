/**
 * Two instances on one PostgreSQL database (DESIGN.md §2, §3): two `serve` processes (same ADMIN_TOKEN
 * and SECRET_KEY, different ports) bind the same upstream to one simulator, two sessions each. The
 * simulator hands every receipt to any bound session of the system_id, round-robin, so receipts for
 * one instance's submits often land on the other's sessions. Messages are POSTed to both instances at
 * once, first to a simulator slow enough that each instance holds some longer than a lease; half-way,
 * while the webhook receiver holds requests of both, instance B is killed with SIGKILL and the load
 * goes on to A alone. Then:
 *
 * - every message that got a 202 from either instance ends `delivered` (read through A) and reached
 *   the simulator; the ones it received twice are at most window × sessions of the killed instance;
 * - while B lived, A sent none of B's messages (a live instance's claims are left alone), and B sent
 *   none of A's; B's messages that it had not sent when it died were sent by A once B's leases ran out;
 * - receipts crossed instances both ways and still matched;
 * - every delivered message produced one `message.delivered` event at the webhook receiver, however
 *   often it was sent (same webhook-id on repeats), B's unsent webhooks sent by A after their lease.
 *
 * The instances run test/integration/service/serve-tuned.ts: `serve` with the leases and syncs
 * shortened, so the reclaim takes seconds, not the production 30 s (messages) and 5 min (webhooks).
 * TWO_INSTANCES_MESSAGES (default 3000) sets the load.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { freePort, type ServeChild, spawnCli } from "./child.js";
import { call, provision, startReceiver, waitFor } from "./harness.js";

const MESSAGES = Number(process.env.TWO_INSTANCES_MESSAGES || 3_000);
/** Concurrent HTTP senders per instance. */
const SENDERS = 8;
const SESSIONS = 2;
const WINDOW = 10;
const SYSTEM_ID = "pair";
const PASSWORD = `p${randomBytes(4).toString("hex").slice(0, 7)}`;
/** The dispatcher's lease in the children: how long B's claims outlive it. */
const LEASE_MS = 5_000;
const SCRIPT = "test/integration/service/serve-tuned.ts";
/** Messages sent while the simulator answers submits a second late (20 a second per instance). */
const SLOW_PHASE = 600;
/**
 * WEBHOOK_ENDPOINT_CONCURRENCY of the children: one instance holds at most 4 times as many requests
 * to the receiver, so more than that in flight at once means B holds some.
 */
const WEBHOOK_CONCURRENCY = 4;
const WEBHOOK_MOST_IN_FLIGHT = 4 * WEBHOOK_CONCURRENCY;

type Instance = "A" | "B";

describe.skipIf(process.env.DATABASE_URL === undefined)(
  "two instances on one database (PostgreSQL only: PGlite is embedded in one process, a second cannot share it)",
  () => {
    let database: TestDatabase;
    let simulator: Simulator;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    const dataDirs: string[] = [];
    const children: ServeChild[] = [];
    const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
    const secretKey = randomBytes(32).toString("base64");

    async function spawnInstance(): Promise<ServeChild> {
      const dataDir = mkdtempSync(join(tmpdir(), "smpp-bridge-two-"));
      dataDirs.push(dataDir);
      const child = spawnCli(
        [],
        {
          PORT: String(await freePort()),
          HOST: "127.0.0.1",
          ADMIN_TOKEN: adminToken,
          SECRET_KEY: secretKey,
          LOG_LEVEL: "info",
          DATA_DIR: dataDir,
          DATABASE_URL: database.url as string,
          WEBHOOK_ALLOW_PRIVATE: "true",
          WEBHOOK_RETRY_SCHEDULE: "200ms,500ms,1s,1s,1s,1s,1s,1s",
          WEBHOOK_ENDPOINT_CONCURRENCY: String(WEBHOOK_CONCURRENCY),
          TUNED_LEASE_MS: String(LEASE_MS),
          TUNED_POLL_MS: "200",
          TUNED_ROUTE_REFRESH_MS: "300",
          TUNED_UPSTREAM_SYNC_MS: "300",
          TUNED_WEBHOOK_POLL_MS: "200",
          TUNED_WEBHOOK_LEASE_MS: "4000",
          TUNED_WEBHOOK_TIMEOUT_MS: "2000",
        },
        SCRIPT,
      );
      children.push(child);
      return child;
    }

    beforeAll(async () => {
      database = await createTestDatabase();
      simulator = await Simulator.start({
        accounts: [{ systemId: SYSTEM_ID, password: PASSWORD }],
        dlrDelayMs: 50,
        // Slower answers than the senders' pace: each instance keeps a backlog, so B dies holding
        // messages it accepted and never sent, besides a full window in flight. Slower still at
        // first (see SLOW_PHASE).
        faults: { responseDelayMs: 1_000 },
        deliveryRetryDelayMs: 200,
        maxDeliveryAttempts: 1_000,
        recordSubmits: MESSAGES * 3,
      });
      // Slow to answer: B dies with a backlog of webhooks leased to it.
      receiver = await startReceiver({ delayMs: 20 });
    });

    afterAll(async () => {
      for (const child of children) child.signal("SIGKILL");
      await Promise.all(children.map((c) => c.exited));
      await simulator?.close();
      await receiver?.close();
      await database?.close();
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    });

    it("loses nothing when one dies, reclaims only the dead one's work, matches receipts across instances", {
      timeout: 180_000,
    }, async () => {
      const a = await spawnInstance();
      const b = await spawnInstance();
      onTestFailed(() => {
        for (const [name, child] of [
          ["A", a],
          ["B", b],
        ] as const) {
          const lines = child.output().split("\n");
          const last = lines.slice(-40).map((line) => line.slice(0, 400));
          console.log(`instance ${name}, last 40 of ${lines.length} lines:\n${last.join("\n")}`);
        }
      });
      const [urlA, urlB] = await Promise.all([a.listening(120_000), b.listening(120_000)]);
      const urls: Record<Instance, string> = { A: urlA, B: urlB };

      // Provisioned once, through A; B learns of the upstream from the database (UpstreamSync).
      const p = await provision(urlA, adminToken, simulator, {
        systemId: SYSTEM_ID,
        password: PASSWORD,
        sessions: SESSIONS,
        window: WINDOW,
      });
      const boundAddresses = async (url: string): Promise<string[]> => {
        const r = await call(url, "GET", `/admin/upstreams/${p.upstreamId}/sessions`, adminToken);
        const data = (r.body as { data: { state: string; local_address: string | null }[] }).data;
        return data.flatMap((s) => (s.state === "bound" && s.local_address ? [s.local_address] : []));
      };
      await waitFor(async () => (await boundAddresses(urlB)).length === SESSIONS, "B's sessions bound");
      const endpoint = await call(urlA, "POST", "/v1/webhook-endpoints", p.apiKey, {
        url: receiver.url,
        events: ["message.delivered"],
      });
      expect(endpoint.status).toBe(201);

      // The simulator's connection ids of each instance, by the sessions' local addresses.
      const sessionIds = async (url: string): Promise<Set<number>> => {
        const local = new Set(await boundAddresses(url));
        return new Set(simulator.sessions().flatMap((s) => (local.has(s.remoteAddress) ? [s.id] : [])));
      };
      const ofA = await sessionIds(urlA);
      const ofB = await sessionIds(urlB);
      expect([ofA.size, ofB.size]).toEqual([SESSIONS, SESSIONS]);

      // B may learn of the route a moment after its sessions bind: a probe through each instance
      // until one is delivered (one that found no route yet fails and is tried again).
      const getMessage = async (id: string) =>
        (await call(urlA, "GET", `/v1/messages/${id}`, p.apiKey)).body as { id: string; status: string };
      for (const instance of ["A", "B"] as const) {
        let delivered = false;
        for (let attempt = 0; attempt < 20 && !delivered; attempt++) {
          const sent = await call(urls[instance], "POST", "/v1/messages", p.apiKey, {
            to: "+447700900000",
            text: `probe ${instance} ${attempt}`,
          });
          expect(sent.status).toBe(202);
          const id = (sent.body as { id: string }).id;
          let status = "queued";
          await waitFor(async () => {
            status = (await getMessage(id)).status;
            return status === "delivered" || status === "failed";
          }, `probe ${id} to settle`);
          delivered = status === "delivered";
        }
        expect(delivered).toBe(true);
      }

      // The load: each text unique, so the simulator's log tells every message apart.
      const accepted = new Map<string, { id: string; via: Instance; at: number }>();
      let next = 0;
      let killed = false;
      let openRest = () => {};
      const rest = new Promise<void>((resolve) => {
        openRest = resolve;
      });
      const sender = async (home: Instance) => {
        let target = home;
        while (next < MESSAGES) {
          if (next >= SLOW_PHASE) await rest;
          if (killed) target = "A";
          const i = next++;
          if (i >= MESSAGES) break;
          const text = `two instances ${i}`;
          try {
            const r = await call(urls[target], "POST", "/v1/messages", p.apiKey, {
              to: `+4477009${String(i).padStart(5, "0")}`,
              text,
            });
            if (r.status === 202) {
              accepted.set(text, { id: (r.body as { id: string }).id, via: target, at: Date.now() });
            }
          } catch (error) {
            // Only a request to B cut by its kill may fail; that message counts as not accepted.
            if (!(killed && target === "B")) throw error;
          }
        }
      };
      const senders = [
        ...Array.from({ length: SENDERS }, () => sender("A")),
        ...Array.from({ length: SENDERS }, () => sender("B")),
      ];
      // First a slow SMSC: each instance holds messages it accepted longer than a lease, which it must
      // keep renewing, or the other instance's poller would take and send them.
      await waitFor(
        () => {
          const sent = new Set(simulator.submits.list().map((r) => r.text));
          const cutoff = Date.now() - 1.5 * LEASE_MS;
          const waiting = (via: Instance) =>
            [...accepted].some(([text, m]) => m.via === via && m.at < cutoff && !sent.has(text));
          return waiting("A") && waiting("B");
        },
        "messages held past a lease by both instances",
        60_000,
        100,
      );
      simulator.setFaults({ responseDelayMs: 50 });
      openRest();
      await waitFor(() => accepted.size >= MESSAGES / 2, "half the load accepted", 120_000, 20);
      // The receiver stops answering until B has requests in flight too (more than A alone may
      // have): B is killed while they wait, and they come back through A.
      receiver.hold();
      await waitFor(() => receiver.inFlight() > WEBHOOK_MOST_IN_FLIGHT, "B's webhooks in flight", 20_000, 5);
      killed = true;
      const killedAt = Date.now();
      b.signal("SIGKILL");
      expect(await b.exited).toEqual({ code: null, signal: "SIGKILL" });
      await waitFor(() => receiver.received.some((r) => r.aborted), "B's requests cut", 20_000, 5);
      receiver.release();
      // What B had handed to the simulator when it died (its sockets are closed: nothing more comes).
      const sentByB = new Set(
        simulator.submits.list().flatMap((r) => (r.status === 0 && ofB.has(r.sessionId) ? [r.text] : [])),
      );
      await Promise.all(senders);

      const viaA = [...accepted.values()].filter((m) => m.via === "A").length;
      const viaB = accepted.size - viaA;
      expect(viaA).toBeGreaterThan(0);
      expect(viaB).toBeGreaterThan(0);

      // Every accepted message at the simulator, then delivered (read through A).
      const submitsOf = () => {
        const byText = new Map<string, { sessionId: number; receiptSessionId?: number; at: number }[]>();
        for (const r of simulator.submits.list()) {
          // Every message of the load, also those whose 202 B's death cut off (B may have sent them).
          if (r.status !== 0 || !r.text.startsWith("two instances ")) continue;
          const list = byText.get(r.text) ?? [];
          list.push({ sessionId: r.sessionId, receiptSessionId: r.receiptSessionId, at: r.receivedAt });
          byText.set(r.text, list);
        }
        return byText;
      };
      let submits = submitsOf();
      await waitFor(
        () => {
          submits = submitsOf();
          for (const text of accepted.keys()) if (!submits.has(text)) return false;
          return true;
        },
        "every accepted message at the simulator",
        60_000,
        200,
      );
      const ids = [...accepted.values()].map((m) => m.id);
      let notDelivered: string[] = ids;
      await waitFor(
        async () => {
          const statuses: string[] = [];
          let cursor = 0;
          const reader = async () => {
            while (cursor < notDelivered.length) {
              const id = notDelivered[cursor++] as string;
              if ((await getMessage(id)).status !== "delivered") statuses.push(id);
            }
          };
          await Promise.all(Array.from({ length: 16 }, reader));
          notDelivered = statuses;
          return notDelivered.length === 0;
        },
        "every accepted message delivered",
        60_000,
        500,
      );
      expect(simulator.submits.droppedCount).toBe(0);
      // Read again: B's messages reclaimed by A are all sent by now (their leases ended together).
      submits = submitsOf();

      const duplicates = [...submits.values()].reduce((sum, list) => sum + list.length - 1, 0);
      // B's messages it never got to send: A sent them, and only after B was dead.
      const orphans = [...accepted].filter(([text, m]) => m.via === "B" && !sentByB.has(text));
      // Receipts matched whichever instance took them: count the crossings.
      let receiptsToOther = 0;
      let receiptsFromBToA = 0;
      for (const list of submits.values()) {
        for (const s of list) {
          if (s.receiptSessionId === undefined) continue;
          if (ofA.has(s.sessionId) && ofB.has(s.receiptSessionId)) receiptsToOther++;
          if (ofB.has(s.sessionId) && ofA.has(s.receiptSessionId)) receiptsFromBToA++;
        }
      }
      console.log(
        `two instances: ${accepted.size} accepted (${viaA} via A, ${viaB} via B), ` +
          `${orphans.length} of B's unsent at its kill reclaimed by A, ${duplicates} received twice ` +
          `(bound: window ${WINDOW} × sessions ${SESSIONS} = ${WINDOW * SESSIONS}), receipts of A's ` +
          `submits taken by B: ${receiptsToOther}, of B's taken by A: ${receiptsFromBToA}`,
      );

      // At-least-once, duplicates bounded by what the killed instance had in flight.
      expect(duplicates).toBeLessThanOrEqual(WINDOW * SESSIONS);
      for (const [text, m] of accepted) {
        const list = submits.get(text) ?? [];
        if (m.via === "A") {
          // A is alive throughout: its messages are its own, sent once, never by B.
          expect(list.map((s) => ofA.has(s.sessionId))).toEqual([true]);
        } else {
          // B's: never sent by A while B lived.
          for (const s of list) if (ofA.has(s.sessionId)) expect(s.at).toBeGreaterThanOrEqual(killedAt);
        }
      }
      expect(orphans.length).toBeGreaterThan(0);
      for (const [text] of orphans) {
        for (const s of submits.get(text) ?? []) expect(ofA.has(s.sessionId)).toBe(true);
      }
      expect(receiptsToOther).toBeGreaterThan(0);
      expect(receiptsFromBToA).toBeGreaterThan(0);

      // Webhooks: at least one `message.delivered` per message, one event id per message.
      const eventsOf = () => {
        const byMessage = new Map<string, Set<string>>();
        const bodyOf = new Map<string, string>();
        const mismatched: string[] = [];
        for (const r of receiver.received) {
          const event = JSON.parse(r.body) as { id: string; type: string; data: { id: string } };
          const webhookId = String(r.headers["webhook-id"]);
          expect(webhookId).toBe(event.id);
          if (event.type !== "message.delivered") continue;
          const seen = bodyOf.get(webhookId);
          if (seen !== undefined && seen !== r.body) mismatched.push(webhookId);
          bodyOf.set(webhookId, r.body);
          const set = byMessage.get(event.data.id) ?? new Set<string>();
          set.add(webhookId);
          byMessage.set(event.data.id, set);
        }
        return { byMessage, mismatched };
      };
      let events = eventsOf();
      await waitFor(
        () => {
          events = eventsOf();
          return ids.every((id) => events.byMessage.has(id));
        },
        "a message.delivered webhook for every message",
        60_000,
        200,
      );
      const ofLoad = new Set(ids);
      const requests = receiver.received.filter((r) =>
        ofLoad.has((JSON.parse(r.body) as { data: { id: string } }).data.id),
      );
      // Cut by B's death (A's requests never wait near their timeout): each must come again, answered.
      const cut = requests.filter((r) => r.aborted).map((r) => String(r.headers["webhook-id"]));
      const answered = new Set(
        requests.filter((r) => !r.aborted).map((r) => String(r.headers["webhook-id"])),
      );
      console.log(
        `two instances: ${requests.length} message.delivered requests for ${ids.length} messages, ` +
          `${cut.length} cut by B's kill`,
      );
      expect(events.mismatched).toEqual([]);
      const severalEvents = [...events.byMessage].filter(([, set]) => set.size > 1).map(([id]) => id);
      expect(severalEvents).toEqual([]);
      // B died with these unanswered: A sent them again, with the same webhook-id, after their lease.
      expect(cut.length).toBeGreaterThan(0);
      expect(cut.filter((id) => !answered.has(id))).toEqual([]);

      a.signal("SIGTERM");
      expect((await a.exited).code).toBe(0);
    });
  },
);
