#!/usr/bin/env node
/**
 * The `smpp-bridge` command line (DESIGN.md §4 "Command line"): one sub-command per job. Each command
 * module is imported only when chosen, so `simulator` starts without loading the HTTP service.
 */
import { pathToFileURL } from "node:url";

type Command = (args: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; run: Command }> = {
  serve: {
    summary: "run the HTTP API, dispatcher and SMPP sessions",
    run: async (args) => (await import("./cli/serve.js")).runServeCommand(args),
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
    summary: "write the OpenAPI document",
    run: async (args) => (await import("./cli/openapi.js")).runOpenApiCommand(args),
  },
};

const USAGE = `Usage: smpp-bridge <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run 'smpp-bridge <command> --help' for the options of a command.
`;

/** Runs the command line `args` (without node and the script); resolves with the exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? process.stderr : process.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined || !Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`smpp-bridge: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command.run(rest);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
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
