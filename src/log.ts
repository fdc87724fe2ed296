/**
 * The service logger: pino JSON lines on stdout, or readable lines when stdout is a terminal and
 * pino-pretty is installed (a devDependency: production images do not have it and do not need it).
 */
import { createRequire } from "node:module";
import type { DestinationStream } from "pino";
import { type Logger, pino } from "pino";
import type { LogLevel } from "./config.js";

/**
 * Field names that may carry a secret, removed from every line whatever logs them: upstream passwords,
 * API keys, the admin token, webhook secrets, Authorization headers. A second line of defence — the
 * code logs none of them on purpose.
 */
export const REDACTED_PATHS: readonly string[] = [
  "password",
  "*.password",
  "secret",
  "*.secret",
  "secretKey",
  "*.secretKey",
  "secret_key",
  "adminToken",
  "*.adminToken",
  "admin_token",
  "token",
  "*.token",
  "key",
  "*.key",
  "api_key",
  "*.api_key",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
];

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: LogLevel | undefined;
  /** Where lines go. Default: stdout (asynchronously buffered; see {@link flushLogger}). */
  destination?: DestinationStream | undefined;
  /**
   * Human-readable lines instead of JSON. Default: when stdout is a terminal and pino-pretty can be
   * loaded. Ignored with a `destination`.
   */
  pretty?: boolean | undefined;
  /** `name` field of every line. Default `smpp-bridge`. */
  name?: string | undefined;
}

/** Creates the process logger (see the module note). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: options.name ?? "smpp-bridge",
    level: options.level ?? "info",
    redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
  };
  if (options.destination !== undefined) return pino(settings, options.destination);
  const wantPretty = options.pretty ?? process.stdout.isTTY === true;
  const pretty = wantPretty ? loadPretty() : undefined;
  if (pretty !== undefined) return pino(settings, pretty);
  // Asynchronous: lines written while a write is pending go out together, so a line per HTTP request
  // does not cost a write(2) each under load.
  return pino(settings, pino.destination({ dest: 1, sync: false }));
}

/** Writes out whatever the logger still buffers (before exiting). Never throws. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}

type PrettyFactory = (options: { colorize?: boolean; translateTime?: string }) => DestinationStream;

/** pino-pretty as a synchronous stream in this thread, or undefined when it is not installed. */
function loadPretty(): DestinationStream | undefined {
  try {
    const require = createRequire(import.meta.url);
    const factory = require("pino-pretty") as PrettyFactory;
    return factory({ colorize: true, translateTime: "SYS:HH:MM:ss.l" });
  } catch {
    return undefined;
  }
}
