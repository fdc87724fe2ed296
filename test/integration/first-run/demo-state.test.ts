/**
 * A data/demo.json the demo cannot use (cut short by a full disk, edited, from an older version): the
 * next start says so, and leaves no webhook endpoint behind at an earlier run's receiver, whose
 * secret went with the file and whose port nothing listens on any more.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { prepareDemo } from "../../../src/demo/index.js";
import { DEMO_STATE_FILE } from "../../../src/demo/state.js";
import { startService } from "../../../src/main.js";
import { logLines } from "../../helpers/log-lines.js";

/** PGlite initialises and migrates from scratch here: slow on a busy machine. */
const TEST_TIMEOUT_MS = 240_000;

let dataDir: string;
const { stream: logStream, lines: logs } = logLines();
const logger = pino({ level: "info" }, logStream);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "smpp-bridge-demo-state-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** One demo run: start, provision, read what the account's webhook endpoints are, stop. */
async function runDemo(): Promise<{ apiKey: string; receiverUrl: string; endpoints: { url: string }[] }> {
  const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "info" });
  const demo = await prepareDemo(config, { logger });
  if (demo === undefined) throw new Error("no demo without DATABASE_URL");
  const service = await startService(demo.config, { logger });
  try {
    const data = await demo.run(service.url, { write: () => {} });
    const response = await fetch(`${service.url}/v1/webhook-endpoints?limit=100`, {
      headers: { Authorization: `Bearer ${data.apiKey}` },
    });
    const body = (await response.json()) as { data: { url: string }[] };
    return { apiKey: data.apiKey, receiverUrl: demo.receiver.url, endpoints: body.data };
  } finally {
    await service.stop();
    await demo.close();
  }
}

describe("a demo.json the demo cannot use", () => {
  it(
    "is named in a warning, and the endpoint of the lost receiver is removed",
    async () => {
      const first = await runDemo();
      expect(first.endpoints.map((e) => e.url)).toEqual([first.receiverUrl]);

      const file = join(dataDir, DEMO_STATE_FILE);
      const whole = await readFile(file, "utf8");
      await writeFile(file, whole.slice(0, whole.length / 2), { mode: 0o600 });

      const second = await runDemo();
      expect(second.endpoints.map((e) => e.url)).toEqual([second.receiverUrl]);
      const warning = logs.find((l) => l.level === 40 && String(l.msg).includes(DEMO_STATE_FILE));
      expect(warning).toMatchObject({ file });
      // The parser's own message quotes the file, API key included: not logged.
      expect(JSON.stringify(warning)).not.toContain(first.apiKey);
      // The file is whole again: a third start would reuse it.
      expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ apiKey: second.apiKey });
    },
    TEST_TIMEOUT_MS,
  );
});
