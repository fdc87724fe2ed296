#!/usr/bin/env node
/**
 * The `smpp-bridge` command line (DESIGN.md §4 "Command line"): one sub-command per job. Each command
 * module is imported only when chosen, so `simulator` starts without loading the HTTP service.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

type Command = (args: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; run: Command }> = {
  serve: {
    summary: "run the HTTP API, dispatcher and SMPP sessions",
    run: async (args) => {
      (await import("./ops/heap-policy.js")).tuneHeap();
      return (await import("./cli/serve.js")).runServeCommand(args);
    },
  },
  migrate: {
    summary: "apply database migrations",
    run: async (args) => (await import("./cli/migrate.js")).runMigrateCommand(args),
  },
  simulator: {
    summary: "run the SMSC simulator",
    run: async (args) => (await import("./simulator/command.js")).runSimulatorCommand(args),
  },
  openapi: {
    summary: "print or write the OpenAPI document",
    run: async (args) => (await import("./cli/openapi.js")).runOpenApiCommand(args),
  },
};

/** What a bare `smpp-bridge` runs (the issue's "serve (default)"; `npm start` names it explicitly). */
const DEFAULT_COMMAND = "serve";

const USAGE = `Usage: smpp-bridge [<command>] [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}${name === DEFAULT_COMMAND ? " (the default)" : ""}`)
  .join("\n")}

Run 'smpp-bridge <command> --help' (or 'smpp-bridge help <command>') for the options of a command.
With no command, smpp-bridge runs '${DEFAULT_COMMAND}'. A bad command or option exits with status 2.
`;

/** Runs the command line `args` (without node and the script); resolves with the exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  const [name = DEFAULT_COMMAND, ...rest] = args;
  if (name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === "help") {
    // `help <command>` is `<command> --help`.
    if (rest[0] === undefined) {
      process.stdout.write(USAGE);
      return 0;
    }
    return runCli([rest[0], "--help"]);
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    const what = name.startsWith("-")
      ? `unknown option "${name}" (options go after the command)`
      : `unknown command "${name}"`;
    process.stderr.write(`smpp-bridge: ${what}\n\n${USAGE}`);
    return 2;
  }
  return command.run(rest);
}

/**
 * Whether this file is the program (not imported by a test). The script path is resolved first: npx,
 * `npm install -g` and node_modules/.bin start the `bin` through a symlink, while import.meta.url is
 * the real file.
 */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // `smpp-bridge openapi | head`: a reader that goes away early is not an error worth a stack trace.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
