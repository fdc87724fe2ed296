import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { cliEnv, REPO_ROOT, runCli, spawnCli } from "./run-cli.js";

/**
 * The `smpp-bridge` command line, run for real as a child process. Each start loads the TypeScript
 * sources through tsx, seconds on a busy machine: hence the long per-test limits.
 */
const CHILD_TEST_MS = 120_000;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "smpp-bridge-cli-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const COMMANDS = ["serve", "migrate", "simulator", "openapi"] as const;

describe("smpp-bridge --help", () => {
  it(
    "lists every command and exits 0",
    async () => {
      const result = await runCli(["--help"]);
      expect(result.code).toBe(0);
      for (const name of COMMANDS) expect(result.stdout).toContain(`  ${name}`);
      expect(result.stderr).toBe("");
    },
    CHILD_TEST_MS,
  );

  it(
    "<command> --help prints that command's usage and exits 0, for every command",
    async () => {
      const results = await Promise.all(COMMANDS.map((name) => runCli([name, "--help"])));
      COMMANDS.forEach((name, i) => {
        expect(results[i]?.code, name).toBe(0);
        expect(results[i]?.stdout, name).toContain(`Usage: smpp-bridge ${name}`);
      });
    },
    CHILD_TEST_MS,
  );

  it(
    "works when started through a symlink, as npx and node_modules/.bin start the bin",
    async () => {
      const link = join(scratch, "smpp-bridge.ts");
      await symlink(join(REPO_ROOT, "src", "cli.ts"), link);
      const result = await runCli(["--help"], cliEnv(), 60_000, link);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Usage: smpp-bridge");
    },
    CHILD_TEST_MS,
  );

  it(
    "help <command> is <command> --help",
    async () => {
      const [viaHelp, viaFlag] = await Promise.all([
        runCli(["help", "migrate"]),
        runCli(["migrate", "--help"]),
      ]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
    },
    CHILD_TEST_MS,
  );
});

describe("bad command lines exit 2 with a clear message", () => {
  it(
    "an unknown command",
    async () => {
      const result = await runCli(["frobnicate"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('unknown command "frobnicate"');
      expect(result.stdout).toBe("");
    },
    CHILD_TEST_MS,
  );

  it(
    "an option before any command",
    async () => {
      const result = await runCli(["--port", "9000"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('unknown option "--port"');
    },
    CHILD_TEST_MS,
  );

  it(
    "a bad option or value of each command (names the command, points at --help)",
    async () => {
      const cases = [
        ["serve", "--bogus"],
        ["serve", "--port", "99999"],
        ["migrate", "--bogus"],
        ["simulator", "--bogus"],
        ["simulator", "--port", "abc"],
        ["openapi", "--bogus"],
        ["openapi", "--out"],
      ];
      const results = await Promise.all(cases.map((argv) => runCli(argv)));
      cases.forEach((argv, i) => {
        const result = results[i];
        const label = argv.join(" ");
        expect(result?.code, label).toBe(2);
        expect(result?.stderr, label).toMatch(new RegExp(`smpp-bridge ${argv[0]}: .+`));
        expect(result?.stderr, label).toContain("--help");
        expect(result?.stdout, label).toBe("");
      });
    },
    CHILD_TEST_MS,
  );
});

describe("with no command", () => {
  it(
    "runs serve (here: serve's own configuration check fails, exit 1)",
    async () => {
      const result = await runCli([], cliEnv({ PORT: "not-a-port", DATA_DIR: join(scratch, "bare") }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("smpp-bridge serve:");
      expect(result.stderr).toContain("PORT");
    },
    CHILD_TEST_MS,
  );
});

describe("smpp-bridge openapi", () => {
  it(
    "prints the document, or writes it with --out (folders created)",
    async () => {
      const printed = await runCli(["openapi"]);
      expect(printed.code).toBe(0);
      const doc = JSON.parse(printed.stdout) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(Object.keys(doc.paths)).toContain("/v1/messages");

      const out = join(scratch, "nested", "dir", "openapi.json");
      const written = await runCli(["openapi", "--out", out]);
      expect(written.code).toBe(0);
      expect(written.stdout).toBe("");
      expect(await readFile(out, "utf8")).toBe(printed.stdout);
    },
    CHILD_TEST_MS,
  );
});

describe("smpp-bridge simulator", () => {
  it(
    "listens, accepts TCP, and exits 0 on SIGTERM",
    async () => {
      const child = spawnCli(["simulator", "--port", "0"]);
      let stdout = "";
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 30_000);
        child.stdout?.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
          const match = /listening on smpp:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
        child.on("exit", () => reject(new Error(`exited early: ${stdout}`)));
      });
      // An enquire_link and its answer (whatever it is) prove the simulator's event loop ran on past
      // the listening line, where the command also installs its signal handlers.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => {
          const enquireLink = Buffer.alloc(16);
          enquireLink.writeUInt32BE(16, 0);
          enquireLink.writeUInt32BE(0x00000015, 4);
          enquireLink.writeUInt32BE(1, 12);
          socket.write(enquireLink);
        });
        const done = () => {
          clearTimeout(timer);
          socket.destroy();
          resolve();
        };
        const timer = setTimeout(() => reject(new Error("the simulator never answered")), 30_000);
        socket.once("data", done);
        socket.once("close", done);
        socket.on("error", reject);
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    },
    CHILD_TEST_MS,
  );
});

describe("smpp-bridge migrate", () => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.close();
  }, CHILD_TEST_MS);

  it("applies the migrations to the configured database and exits 0", async () => {
    // With DATABASE_URL: a database of this file's own; without: PGlite in a fresh DATA_DIR.
    database = await createTestDatabase();
    const env =
      database.url === undefined
        ? cliEnv({ DATA_DIR: join(scratch, "migrate") })
        : cliEnv({ DATABASE_URL: database.url });
    const result = await runCli(["migrate"], env, 120_000);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/migrations applied \((PostgreSQL|embedded PGlite)\)/);
  }, 150_000);
});
