/**
 * `smpp-bridge serve` (what `npm start` runs): reads the environment, starts the service and runs until
 * SIGTERM or SIGINT, then stops gracefully and exits 0. Without DATABASE_URL it also runs the first-run
 * demo around the service (src/demo: simulator, webhook receiver, demo data, banner).
 */
import { type Config, ConfigError, loadConfig } from "../config.js";
import { type DemoEnvironment, prepareDemo } from "../demo/index.js";
import { createLogger, flushLogger } from "../log.js";
import { runUntilSignalled, type StartServiceOptions, startService } from "../main.js";

export const SERVE_HELP = `Usage: smpp-bridge serve [--port <n>] [--host <address>]

Runs the HTTP API, the dispatcher and the SMPP sessions until SIGTERM or SIGINT (a second signal
exits at once). Migrations are applied at start. Without DATABASE_URL it also starts the built-in
SMSC simulator with a demo upstream, account, API key and webhook receiver, and prints a banner with
a ready-to-paste curl. Configuration comes from the environment:

  PORT                    HTTP port (default 8080; 0: a free port)
  HOST                    bind address (default 127.0.0.1)
  DATABASE_URL            PostgreSQL URL; unset: embedded PGlite in DATA_DIR
  DATA_DIR                data directory (default ./data)
  ADMIN_TOKEN             admin API token (required with DATABASE_URL; else generated and kept
                          in DATA_DIR/secrets.json)
  SECRET_KEY              32 bytes, base64, encrypts upstream passwords and webhook secrets
                          (required with DATABASE_URL; else generated like ADMIN_TOKEN)
  WEBHOOK_ALLOW_PRIVATE   true: webhook URLs may point at private addresses
  WEBHOOK_RETRY_SCHEDULE  retry delays, default 5s,5m,30m,2h,5h,10h,10h
  WEBHOOK_ENDPOINT_CONCURRENCY
                          webhook requests in flight to one endpoint, default 16 (1-256);
                          4 times as many to one that keeps answering 2xx within a second
  LOG_LEVEL               fatal|error|warn|info|debug|trace|silent (default info)
  DATABASE_POOL_SIZE      most PostgreSQL connections (default 10)
  INBOUND_REASSEMBLY_TIMEOUT
                          how long parts of a long inbound SMS wait for the rest (default 24h)
  INBOUND_REPEAT_WINDOW   how long an inbound SMS delivered again is kept once (default 1h)
  UNMATCHED_RECEIPT_RETENTION
                          how long a receipt for an unknown SMSC id waits to be matched
                          before it is deleted (default 7d, at least 1h)
  RECEIPT_MATCH_HORIZON   how long after its part was sent a receipt can still match it; older
                          parts are not candidates (default 10d, at least 8d)
  MESSAGE_RETENTION       how long settled messages, webhook events and inbound SMS are kept,
                          e.g. 90d (default off: for ever; at least 1d)

Options:
  --port <n>          listen on this port instead of PORT (0: a free port)
  --host <address>    bind to this address instead of HOST
  -h, --help          show this help
`;

/** A bad command line: the message is printed with a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/** The parsed command line of `serve`. */
export interface ServeArgs {
  help: boolean;
  port?: number;
  host?: string;
}

/** Parses the arguments of `serve`; throws {@link UsageError} for anything it does not know. */
export function parseServeArgs(args: readonly string[]): ServeArgs {
  const parsed: ServeArgs = { help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? splitOnce(arg) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "-h":
      case "--help":
        parsed.help = true;
        break;
      case "--port": {
        const text = value();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65_535)
          throw new UsageError(`--port must be 0–65535, got "${text}"`);
        parsed.port = port;
        break;
      }
      case "--host":
        parsed.host = value();
        break;
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return parsed;
}

/**
 * Runs `serve` with `args`; resolves with the exit status: 0 after `--help` or a clean stop, 1 when the
 * configuration is invalid or the service cannot start, 2 for a bad command line.
 */
export async function runServeCommand(
  args: readonly string[],
  options: Omit<StartServiceOptions, "logger"> = {},
): Promise<number> {
  let parsed: ServeArgs;
  try {
    parsed = parseServeArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(
      `smpp-bridge serve: ${error.message}\nRun 'smpp-bridge serve --help' for the options.\n`,
    );
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`smpp-bridge serve: ${error.message}\n`);
    return 1;
  }
  if (parsed.port !== undefined) config = { ...config, port: parsed.port };
  if (parsed.host !== undefined) config = { ...config, host: parsed.host };

  const logger = createLogger({ level: config.logLevel });
  let code: number;
  // Without DATABASE_URL: the first-run demo (simulator, webhook receiver, demo data, banner).
  let demo: DemoEnvironment | undefined;
  try {
    demo = await prepareDemo(config, { logger });
    const service = await startService(demo?.config ?? config, { ...options, logger });
    // Signals are handled from now on, also while the demo provisions.
    const exitCode = runUntilSignalled(service);
    if (demo !== undefined) {
      try {
        await demo.run(service.url);
      } catch (error) {
        logger.error({ err: error }, "the demo could not be set up; the service runs without it");
      }
    }
    code = await exitCode;
  } catch (error) {
    logger.fatal({ err: error }, "the service could not start");
    await flushLogger(logger);
    await demo?.close();
    return 1;
  }
  // After the service: its sessions unbind from the demo simulator before the simulator goes.
  await demo?.close();
  // Everything is closed; should a stray handle keep the loop alive, do not hang the supervisor.
  setTimeout(() => process.exit(code), 2_000).unref();
  return code;
}

function splitOnce(arg: string): [string, string] {
  const i = arg.indexOf("=");
  return [arg.slice(0, i), arg.slice(i + 1)];
}
