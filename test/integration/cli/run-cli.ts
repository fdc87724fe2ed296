import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root: the CLI runs from here as `npm start` would. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The real CLI, TypeScript sources through tsx (`node --import tsx src/cli.ts …`), in its own process. */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = cliEnv(),
  script = "src/cli.ts",
): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** This process's environment without the service variables (a test adds what it means to set). */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DATABASE_URL", "DATA_DIR", "PORT", "HOST", "ADMIN_TOKEN", "SECRET_KEY", "LOG_LEVEL"]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion; kills it (and fails) after `timeoutMs`. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = cliEnv(),
  timeoutMs = 60_000,
  script?: string,
): Promise<CliResult> {
  const child = spawnCli(args, env, script);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`smpp-bridge ${args.join(" ")} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
