import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnCli } from "../cli/run-cli.js";

/** `smpp-bridge serve` in a child process, its output collected as it comes. */
export interface ServeProcess {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout match of `pattern`; throws after `timeoutMs` or if the process exits. */
  waitFor(pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray>;
  /** The exit code once the process ends by itself; SIGKILL and a throw after `timeoutMs`. */
  exit(timeoutMs: number): Promise<number | null>;
  /** SIGTERM, then the exit code (SIGKILL and a throw after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function startServe(env: NodeJS.ProcessEnv): ServeProcess {
  const child = spawnCli(["serve"], env);
  let out = "";
  let err = "";
  let exit: { code: number | null } | undefined;
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      exit = { code };
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, what, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = pattern.exec(out);
        if (match) return match;
        if (exit !== undefined) {
          throw new Error(
            `serve exited (${exit.code}) before ${what}\n--- stdout\n${out}\n--- stderr\n${err}`,
          );
        }
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${what}\n--- stdout\n${out.slice(-4000)}\n--- stderr\n${err}`);
    },
    async exit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`serve still running after ${timeoutMs} ms\n${out.slice(-4000)}\n${err}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop(timeoutMs = 30_000) {
      if (exit !== undefined) return exit.code;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A TCP port free right now on 127.0.0.1 (what a newcomer's PORT would be). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** The JSON log lines of some output (non-JSON lines, like the banner, are left out). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut mid-write: the next read completes it.
    }
  }
  return lines;
}
