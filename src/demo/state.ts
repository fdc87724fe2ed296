import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * File in DATA_DIR with what the demo must remember between runs (mode 0600, like secrets.json):
 * the API key and the webhook secret are stored hashed or shown once by the service, so the banner
 * and the demo receiver could not show or use them again otherwise.
 */
export const DEMO_STATE_FILE = "demo.json";

const demoStateSchema = z.object({
  accountId: z.string().min(1),
  apiKeyId: z.string().min(1),
  apiKey: z.string().min(1),
  webhookEndpointId: z.string().min(1).optional(),
  webhookSecret: z.string().min(1).optional(),
});

export type DemoState = z.infer<typeof demoStateSchema>;

/** The state of an earlier run, or undefined when there is none (or it cannot be read). */
export function readDemoState(dataDir: string): DemoState | undefined {
  const file = join(dataDir, DEMO_STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = demoStateSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the state file atomically (write aside, then rename). */
export function writeDemoState(dataDir: string, state: DemoState): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, DEMO_STATE_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
