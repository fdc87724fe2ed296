/**
 * A PostgreSQL 15 cluster of one test's own, for tests that stop and start the database (a crash,
 * an outage): the machine's shared server must never be restarted, other tests run on it.
 *
 * The cluster lives in a temporary directory under os.tmpdir(), listens on a random free port of
 * 127.0.0.1 only, trusts every local connection, and keeps fsync on (the tests check durability).
 * initdb refuses to run as root, so as root every command runs as the `postgres` OS user through
 * `runuser`; as any other user it runs as that user. Every wait is bounded.
 */
import { execFile, execFileSync } from "node:child_process";
import { accessSync, chownSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../integration/service/child.js";

const run = promisify(execFile);

/** Where the PostgreSQL 15 server binaries are (Debian/Ubuntu layout); `PG_BIN` overrides it. */
export const PG_BIN = process.env.PG_BIN || "/usr/lib/postgresql/15/bin";
/** The OS user the cluster runs as when the tests run as root. */
const POSTGRES_USER = "postgres";
/** Longest a start or stop may take (pg_ctl -t), seconds. */
const PG_CTL_TIMEOUT_S = 60;

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password). */
  readonly url: string;
  readonly port: number;
  /** Whether the server is up, as far as this helper started and stopped it. */
  readonly running: boolean;
  /** Stops the server; `immediate` is a crash (no checkpoint, recovery from WAL on the next start). */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts connections. */
  start(): Promise<void>;
  /** The server log so far (for a failing test's message). */
  log(): string;
  /** Stops the server (immediate) and removes every file of it; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Why a private cluster cannot run here, or undefined when it can: the binaries are missing, or the
 * tests run as root and there is no `postgres` user or `runuser` to drop to.
 */
export function privatePostgresUnavailable(): string | undefined {
  try {
    accessSync(join(PG_BIN, "initdb"), constants.X_OK);
    accessSync(join(PG_BIN, "pg_ctl"), constants.X_OK);
  } catch {
    return `no PostgreSQL 15 binaries in ${PG_BIN} (set PG_BIN)`;
  }
  if (!asRoot()) return undefined;
  try {
    execFileSync("id", ["-u", POSTGRES_USER], { stdio: "ignore", timeout: 5_000 });
    execFileSync("runuser", ["-u", POSTGRES_USER, "--", "true"], { stdio: "ignore", timeout: 5_000 });
  } catch {
    return `running as root, initdb refuses root, and there is no "${POSTGRES_USER}" user to run it as through runuser`;
  }
  return undefined;
}

/** initdb's a new cluster and starts it; throws with the reason when that cannot work here. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const unavailable = privatePostgresUnavailable();
  if (unavailable !== undefined) throw new Error(`private PostgreSQL unavailable: ${unavailable}`);
  const root = mkdtempSync(join(tmpdir(), "smpp-bridge-pg-"));
  const dataDir = join(root, "data");
  const logFile = join(root, "server.log");
  if (asRoot()) {
    const uid = Number(execFileSync("id", ["-u", POSTGRES_USER], { timeout: 5_000 }).toString().trim());
    const gid = Number(execFileSync("id", ["-g", POSTGRES_USER], { timeout: 5_000 }).toString().trim());
    chownSync(root, uid, gid);
  }
  const pg = (binary: string, args: string[], timeoutS = PG_CTL_TIMEOUT_S) => {
    const command = join(PG_BIN, binary);
    const [file, argv] = asRoot()
      ? ["runuser", ["-u", POSTGRES_USER, "--", command, ...args]]
      : [command, args];
    // cwd: the server user may not be allowed into the test's working directory.
    return run(file, argv, { cwd: root, timeout: (timeoutS + 10) * 1_000, env: { PATH: process.env.PATH } });
  };

  let port = 0;
  let running = false;
  let closed = false;
  const ctl = (args: string[]) =>
    pg("pg_ctl", ["-D", dataDir, "-w", "-t", String(PG_CTL_TIMEOUT_S), ...args]);
  const start = async () => {
    await ctl([
      "start",
      "-l",
      logFile,
      // TCP on loopback only; the Unix socket in our own directory, not the shared /var/run one.
      "-o",
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${root} -c fsync=on`,
    ]);
    running = true;
  };
  const stopNow = () => {
    // Synchronous, for process exit: a worker that dies must not leave a server behind.
    if (!running) return;
    const command = join(PG_BIN, "pg_ctl");
    const args = ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"];
    try {
      if (asRoot())
        execFileSync("runuser", ["-u", POSTGRES_USER, "--", command, ...args], {
          stdio: "ignore",
          timeout: 40_000,
        });
      else execFileSync(command, args, { stdio: "ignore", timeout: 40_000 });
    } catch {
      // already down
    }
    running = false;
  };
  const cleanUp = () => {
    stopNow();
    rmSync(root, { recursive: true, force: true });
  };
  process.once("exit", cleanUp);

  try {
    await pg("initdb", [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C",
      // Only initdb's own files are not synced; the server runs with fsync on.
      "--no-sync",
    ]);
    // A port free a moment ago may be taken by the time the server binds: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    process.removeListener("exit", cleanUp);
    const log = readLog(logFile);
    cleanUp();
    throw new Error(`private PostgreSQL did not start: ${String(error)}\n${log}`);
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return running;
    },
    stop: async (mode = "immediate") => {
      await ctl(["-m", mode, "stop"]);
      running = false;
    },
    start,
    log: () => readLog(logFile),
    close: async () => {
      if (closed) return;
      closed = true;
      process.removeListener("exit", cleanUp);
      if (running) {
        try {
          await ctl(["-m", "immediate", "stop"]);
        } catch {
          // already down: the files go anyway
        }
        running = false;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function asRoot(): boolean {
  return userInfo().uid === 0;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
