/**
 * `smpp-bridge serve` in a child process, as an operator runs it: its stdout/stderr kept, its URL read
 * from the "listening" log line, signals sent to it by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { waitFor } from "./harness.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export interface ServeChild {
  readonly process: ChildProcess;
  /** stdout and stderr so far, in arrival order. */
  output(): string;
  /** The parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for the "listening" line and returns the API's base URL. */
  listening(timeoutMs?: number): Promise<string>;
  signal(signal: NodeJS.Signals): void;
}

/** Runs `node --import tsx <script> <args>` (default the CLI) with exactly `env` (plus PATH/HOME). */
export function spawnCli(args: string[], env: Record<string, string>, script = "src/cli.ts"): ServeChild {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const logs = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    process: child,
    output: () => output,
    logs,
    exited,
    listening: async (timeoutMs = 120_000) => {
      let url: string | undefined;
      let exitedEarly = false;
      void exited.then(() => {
        exitedEarly = true;
      });
      await waitFor(
        () => {
          if (exitedEarly) throw new Error(`the service exited before listening:\n${output}`);
          url = logs().find((l) => l.msg === "listening")?.url as string | undefined;
          return url !== undefined;
        },
        "the service to listen",
        timeoutMs,
        100,
      );
      return url as string;
    },
    signal: (signal) => {
      if (child.pid !== undefined && child.exitCode === null) child.kill(signal);
    },
  };
}

/** A TCP port free right now on 127.0.0.1 (so a restart can use the same one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
