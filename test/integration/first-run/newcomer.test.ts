import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv } from "../cli/run-cli.js";
import { freePort, jsonLines, type ServeProcess, startServe } from "./serve-process.js";

/**
 * What a newcomer does after cloning: start the service with no environment (`npm start` runs
 * `smpp-bridge serve`; here through tsx instead of a build), read the key and the curl from the
 * banner, paste the curl into a shell (real curl), and watch the message get `delivered` and its
 * webhooks arrive at the demo receiver. Then start again on the same data.
 */

const run = promisify(execFile);
/** A first start initialises and migrates PGlite from scratch: slow on a busy machine. */
const START_MS = 240_000;
const DELIVERY_MS = 30_000;
const TEST_MS = 420_000;

let dataDir: string;
let port: number;
let serve: ServeProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "smpp-bridge-newcomer-"));
  port = await freePort();
});
afterAll(async () => {
  await serve?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The newcomer's environment: nothing of ours set, but where to keep data and which port. */
function newcomerEnv(): NodeJS.ProcessEnv {
  return cliEnv({ DATA_DIR: dataDir, PORT: String(port) });
}

interface Banner {
  apiKey: string;
  adminToken: string;
  curl: string;
  text: string;
}

async function readBanner(process: ServeProcess): Promise<Banner> {
  const match = await process.waitFor(/^curl .*$/m, "the banner's curl line", START_MS);
  const text = process.stdout();
  const value = (label: string): string => {
    const found = new RegExp(`^${label}: (\\S+)$`, "m").exec(text);
    if (!found?.[1]) throw new Error(`no "${label}:" line in\n${text}`);
    return found[1];
  };
  return { apiKey: value("API key"), adminToken: value("Admin token"), curl: match[0], text };
}

async function getJson(
  path: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}\n${serve?.stdout().slice(-4000) ?? ""}`);
}

describe("a newcomer's first run (npm start with no environment)", () => {
  let first: Banner;
  let messageId: string;

  it(
    "prints a banner whose curl sends a message that is delivered, with its webhooks verified and logged",
    async () => {
      serve = startServe(newcomerEnv());
      first = await readBanner(serve);
      expect(first.text.split("\n").filter((l) => l.startsWith("curl ")).length).toBe(1);
      expect(first.text).toContain(`http://127.0.0.1:${port}/docs`);

      // Paste the curl line into a shell, as printed.
      const { stdout } = await run("bash", ["-c", first.curl], { timeout: 30_000 });
      const accepted = JSON.parse(stdout) as { id: string; status: string };
      expect(accepted.id).toMatch(/\S/);
      messageId = accepted.id;

      const delivered = await waitUntil("the message to be delivered", DELIVERY_MS, async () => {
        const { body } = await getJson(`/v1/messages/${messageId}`, first.apiKey);
        return body.status === "delivered" ? body : undefined;
      });
      expect(delivered.id).toBe(messageId);

      await waitUntil("the delivered webhook in the log", DELIVERY_MS, async () =>
        jsonLines(serve?.stdout() ?? "").find(
          (l) =>
            l.msg === "demo webhook received (signature verified)" &&
            l.id === messageId &&
            l.type === "message.delivered",
        ),
      );
      expect(jsonLines(serve.stdout()).filter((l) => l.msg === "demo webhook refused")).toEqual([]);

      expect(await serve.stop()).toBe(0);
      serve = undefined;
    },
    TEST_MS,
  );

  it(
    "starts again on the same data: the same key and account, no second demo account",
    async () => {
      serve = startServe(newcomerEnv());
      const again = await readBanner(serve);
      expect(again.apiKey).toBe(first.apiKey);
      expect(again.adminToken).toBe(first.adminToken);

      const accounts = await getJson("/admin/accounts?limit=100", again.adminToken);
      const names = (accounts.body.data as { name: string }[]).map((a) => a.name);
      expect(names).toEqual(["Demo account"]);
      const earlier = await getJson(`/v1/messages/${messageId}`, again.apiKey);
      expect(earlier.body.status).toBe("delivered");

      // And the pasted curl still works against the repointed demo upstream.
      const { stdout } = await run("bash", ["-c", again.curl], { timeout: 30_000 });
      const second = JSON.parse(stdout) as { id: string };
      await waitUntil("the second message to be delivered", DELIVERY_MS, async () => {
        const { body } = await getJson(`/v1/messages/${second.id}`, again.apiKey);
        return body.status === "delivered" ? true : undefined;
      });

      expect(await serve.stop()).toBe(0);
      serve = undefined;
    },
    TEST_MS,
  );
});
