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

/** What an earlier run left: its state, or why the file that is there cannot be used. */
export interface StoredDemoState {
  state: DemoState | undefined;
  /** Why the file that is there cannot be used; undefined when it was read or there is none. */
  problem?: string;
}

/**
 * The state of an earlier run: `state` undefined when there is none, with a `problem` when the file
 * exists but is not one this version can use (cut short, edited, or from an older version).
 */
export function readDemoState(dataDir: string): StoredDemoState {
  const file = join(dataDir, DEMO_STATE_FILE);
  if (!existsSync(file)) return { state: undefined };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { state: undefined, problem: error instanceof Error ? error.message : String(error) };
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which holds the API key.
    return { state: undefined, problem: "not valid JSON" };
  }
  const parsed = demoStateSchema.safeParse(content);
  if (parsed.success) return { state: parsed.data };
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(file)"))];
  return { state: undefined, problem: `missing or invalid: ${fields.join(", ")}` };
}

/** Replaces the state file atomically (write aside, then rename). */
export function writeDemoState(dataDir: string, state: DemoState): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, DEMO_STATE_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
