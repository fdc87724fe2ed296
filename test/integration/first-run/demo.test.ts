import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { type DemoEnvironment, prepareDemo } from "../../../src/demo/index.js";
import { DEMO_ACCOUNT_NAME, DEMO_UPSTREAM_NAME } from "../../../src/demo/provision.js";
import { DEMO_STATE_FILE } from "../../../src/demo/state.js";
import { type RunningService, startService } from "../../../src/main.js";
import { logLines } from "../../helpers/log-lines.js";

/**
 * The demo in-process: prepareDemo → startService → run, on the embedded PGlite in a temporary
 * DATA_DIR (the demo is, by definition, the no-DATABASE_URL setup), twice on the same data.
 */

const WAIT_MS = 20_000;
/** PGlite initialises and migrates from scratch here: slow on a busy machine. */
const TEST_TIMEOUT_MS = 180_000;

let dataDir: string;
const { stream: logStream, lines: logs } = logLines();
const logger = pino({ level: "info" }, logStream);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "smpp-bridge-demo-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

interface Started {
  demo: DemoEnvironment;
  service: RunningService;
  banner: string;
}

async function start(): Promise<Started> {
  const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "info" });
  const demo = await prepareDemo(config, { logger });
  if (demo === undefined) throw new Error("no demo without DATABASE_URL");
  const service = await startService(demo.config, { logger });
  let banner = "";
  await demo.run(service.url, { write: (text) => (banner += text) });
  return { demo, service, banner };
}

async function stop(started: Started): Promise<void> {
  await started.service.stop();
  await started.demo.close();
}

function bannerValue(banner: string, label: string): string {
  const line = banner.split("\n").find((l) => l.startsWith(`${label}: `));
  if (line === undefined) throw new Error(`no "${label}:" line in the banner`);
  return line.slice(label.length + 2).trim();
}

async function api(
  url: string,
  key: string,
  path: string,
  json?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method: json === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: json === undefined ? null : JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("first-run demo", () => {
  let firstKey: string;
  let firstAccountCount: number;

  it(
    "sets up an upstream, account, key, route and webhook endpoint; a message is delivered and its webhooks verified",
    async () => {
      const started = await start();
      try {
        const { service, banner, demo } = started;
        const key = bannerValue(banner, "API key");
        firstKey = key;
        expect(bannerValue(banner, "Admin token")).toBe(service.config.adminToken);
        expect(banner.split("\n").filter((l) => l.startsWith("curl ")).length).toBe(1);
        expect(banner).toContain(`${service.url}/docs`);

        const sent = await api(service.url, key, "/v1/messages", { to: "+447700900123", text: "hi" });
        expect(sent.status).toBe(202);
        const id = String(sent.body.id);
        const delivered = await waitFor("delivered", async () => {
          const { body } = await api(service.url, key, `/v1/messages/${id}`);
          return body.status === "delivered" ? body : undefined;
        });
        expect(delivered.upstream).toBe(DEMO_UPSTREAM_NAME);

        const events = await waitFor("the delivered webhook", async () =>
          demo.receiver.received.some((e) => e.subjectId === id && e.type === "message.delivered")
            ? demo.receiver.received
            : undefined,
        );
        expect(events.filter((e) => e.subjectId === id).map((e) => e.type)).toContain("message.sent");
        expect(logs.some((l) => l.msg === "demo webhook received (signature verified)" && l.id === id)).toBe(
          true,
        );
        expect(logs.some((l) => l.msg === "demo webhook refused")).toBe(false);

        const accounts = await api(service.url, service.config.adminToken, "/admin/accounts?limit=100");
        firstAccountCount = (accounts.body.data as unknown[]).length;
      } finally {
        await stop(started);
      }
      const state = await stat(join(dataDir, DEMO_STATE_FILE));
      expect(state.mode & 0o077).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "reuses the data on a second run: same key, same account, no duplicates",
    async () => {
      const started = await start();
      try {
        const { service, banner } = started;
        expect(bannerValue(banner, "API key")).toBe(firstKey);
        expect(banner).toContain("data reused");
        const accounts = await api(service.url, service.config.adminToken, "/admin/accounts?limit=100");
        const data = accounts.body.data as { name: string }[];
        expect(data.length).toBe(firstAccountCount);
        expect(data.filter((a) => a.name === DEMO_ACCOUNT_NAME).length).toBe(1);
        const upstreams = await api(service.url, service.config.adminToken, "/admin/upstreams?limit=100");
        expect(
          (upstreams.body.data as { name: string }[]).filter((u) => u.name === DEMO_UPSTREAM_NAME).length,
        ).toBe(1);
        const routes = await api(service.url, service.config.adminToken, "/admin/routes?limit=100");
        expect((routes.body.data as unknown[]).length).toBe(1);
        const endpoints = await api(service.url, firstKey, "/v1/webhook-endpoints?limit=100");
        expect((endpoints.body.data as unknown[]).length).toBe(1);

        // The upstream was repointed at this run's simulator and binds there.
        const sent = await api(service.url, firstKey, "/v1/messages", { to: "447700900124", text: "again" });
        expect(sent.status).toBe(202);
        await waitFor("delivered", async () => {
          const { body } = await api(service.url, firstKey, `/v1/messages/${String(sent.body.id)}`);
          return body.status === "delivered" ? true : undefined;
        });
      } finally {
        await stop(started);
      }
      const secrets = JSON.parse(await readFile(join(dataDir, DEMO_STATE_FILE), "utf8")) as {
        apiKey: string;
      };
      expect(secrets.apiKey).toBe(firstKey);
    },
    TEST_TIMEOUT_MS,
  );

  it("does nothing with DATABASE_URL: no simulator, no demo data", async () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      ADMIN_TOKEN: "adm_x",
      SECRET_KEY: Buffer.alloc(32, 1).toString("base64"),
    });
    expect(await prepareDemo(config, { logger })).toBeUndefined();
  });
});
