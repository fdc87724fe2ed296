/**
 * The service configuration: the environment of DESIGN.md §4 parsed once at start. This is the only
 * module that reads `process.env`; everything else receives a {@link Config}.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { generateAdminToken, generateSecretKey, SECRET_KEY_BYTES } from "./core/crypto.js";
import { DEFAULT_RECEIPT_MATCH_HORIZON_MS, MIN_RECEIPT_MATCH_HORIZON_MS } from "./core/receipts/horizon.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where a credential came from: the environment, the data dir (generated on an earlier run), or now. */
export type CredentialSource = "env" | "stored" | "generated";

export interface Config {
  /** `PORT`: HTTP port. Default 8080; 0 picks a free port. */
  port: number;
  /** `HOST`: HTTP bind address. Default 127.0.0.1. */
  host: string;
  /** `DATABASE_URL`: PostgreSQL URL; undefined = embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** `DATA_DIR`: absolute path of the data directory (PGlite files, generated secrets). Default ./data. */
  dataDir: string;
  /** `DATABASE_POOL_SIZE`: most PostgreSQL connections. Default 10. */
  databasePoolSize: number;
  /** `ADMIN_TOKEN`: bearer token of the admin API. */
  adminToken: string;
  /** Whether the admin token came from the environment, from the data dir, or was made on this run. */
  adminTokenSource: CredentialSource;
  /** `SECRET_KEY`: the 32-byte AES-256 key that encrypts stored secrets. */
  secretKey: Buffer;
  /** Whether the secret key came from the environment, from the data dir, or was made on this run. */
  secretKeySource: CredentialSource;
  /** `WEBHOOK_ALLOW_PRIVATE`: allow webhook URLs on loopback/private/link-local addresses. Default false. */
  webhookAllowPrivate: boolean;
  /** `WEBHOOK_RETRY_SCHEDULE`: delays in milliseconds before each retry. Default 5s,5m,30m,2h,5h,10h,10h. */
  webhookRetryScheduleMs: number[];
  /**
   * `WEBHOOK_ENDPOINT_CONCURRENCY`: webhook requests in flight to one endpoint (or one status_callback
   * origin) at once. Default 16, at most 256 (the worker's total). A receiver that keeps answering 2xx
   * within a second may use 4 times as many, up to the worker's total.
   */
  webhookEndpointConcurrency: number;
  /** `LOG_LEVEL`: pino level. Default info. */
  logLevel: LogLevel;
  /**
   * `INBOUND_REASSEMBLY_TIMEOUT`: how long the parts of a concatenated inbound SMS wait for the rest
   * before what arrived is surfaced flagged incomplete, in milliseconds. Default 24h.
   */
  inboundReassemblyTimeoutMs: number;
  /**
   * `INBOUND_REPEAT_WINDOW`: how long an inbound SMS (or segment) the SMSC delivers again is recognised
   * as a repeat and kept once, in milliseconds. Default 1h. A whole SMS carries no id, so a copy is
   * the same sender, number and text; one whose answer the SMSC was seen to read is forgotten at once
   * (core/inbound/processor.ts), so the same text sent again by the user is a new message.
   */
  inboundRepeatWindowMs: number;
  /**
   * `UNMATCHED_RECEIPT_RETENTION`: how long a delivery receipt whose part is not known waits to be
   * matched before it is deleted, in milliseconds. Default 7d, at least 1h.
   */
  unmatchedReceiptRetentionMs: number;
  /**
   * `RECEIPT_MATCH_HORIZON`: how long after its part was sent a delivery receipt can still be matched to
   * it, in milliseconds. Default 10d, at least 8d (core/receipts/horizon.ts).
   */
  receiptMatchHorizonMs: number;
  /**
   * `MESSAGE_RETENTION`: how long settled messages (with their parts and receipts), outbox events (with
   * their webhook deliveries and attempts) and inbound SMS are kept, in milliseconds; null (unset or
   * `off`, the default) keeps them for ever. At least 1d.
   */
  messageRetentionMs: number | null;
}

/** Thrown when the environment is invalid; the message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
  }
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration like "500ms", "5s", "30m", "2h", "1d" into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const [, amount, unit] = match;
  const factor = DURATION_UNITS_MS[unit ?? ""];
  if (amount === undefined || factor === undefined) return null;
  return Math.round(Number(amount) * factor);
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not a duration like 30s, 5m or 2h` });
    return z.NEVER;
  }
  return ms;
});

/** A retention: `off` (null, keep for ever) or a duration of at least a day. */
const retention = z.string().transform((text, ctx): number | null => {
  if (text.trim() === "off") return null;
  const ms = parseDuration(text);
  if (ms === null || ms < 86_400_000) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not off or a duration of at least 1d, like 90d` });
    return z.NEVER;
  }
  return ms;
});

const durationList = z.string().transform((text, ctx) => {
  const items = text.split(",").map((item) => item.trim());
  const delays: number[] = [];
  for (const item of items) {
    const ms = parseDuration(item);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not a duration like 5s, 5m or 2h` });
      return z.NEVER;
    }
    delays.push(ms);
  }
  return delays;
});

const booleanFlag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const positiveInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const secretKey = z.string().transform((text, ctx) => {
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, "base64") : Buffer.alloc(0);
  if (bytes.length !== SECRET_KEY_BYTES) {
    ctx.addIssue({ code: "custom", message: `must be ${SECRET_KEY_BYTES} bytes encoded in base64` });
    return z.NEVER;
  }
  return bytes;
});

/** 5s, 5m, 30m, 2h, 5h, 10h, 10h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

const envSchema = z.object({
  PORT: positiveInt(0, 65_535).default(8080),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    // Checked here rather than when the database opens: Node's URL error carries the whole input,
    // password included, into the log line that reports it.
    .refine((url) => URL.canParse(url), "is not a valid URL (a bad port? characters to percent-encode?)")
    .optional(),
  DATA_DIR: z.string().default("./data"),
  DATABASE_POOL_SIZE: positiveInt(1, 1000).default(10),
  ADMIN_TOKEN: z
    .string()
    // It travels as `Authorization: Bearer <token>`: a space or a non-ASCII character would start a
    // service whose admin API refuses every request.
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces (it is sent as a bearer token)")
    .optional(),
  SECRET_KEY: secretKey.optional(),
  WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
  WEBHOOK_RETRY_SCHEDULE: durationList.default(() => [...DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS]),
  WEBHOOK_ENDPOINT_CONCURRENCY: positiveInt(1, 256).default(16),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  // 0 would surface every concatenated SMS whose parts a sweep falls between as separate pieces.
  INBOUND_REASSEMBLY_TIMEOUT: duration
    .refine((ms) => ms >= 1000, "must be at least 1s (the parts of one SMS arrive seconds apart)")
    .default(86_400_000),
  INBOUND_REPEAT_WINDOW: duration
    .refine((ms) => ms >= 1000, "must be at least 1s (SMSCs re-send within seconds)")
    .default(3_600_000),
  // Shorter would delete receipts the sweeper still retries (it looks 10 minutes back) and ones an
  // outage left waiting for their result.
  UNMATCHED_RECEIPT_RETENTION: duration
    .refine((ms) => ms >= 3_600_000, "must be at least 1h (receipts wait for results delayed by an outage)")
    .default(604_800_000),
  // Shorter would drop the final receipts of messages sent with the longest validity_period (7 days).
  RECEIPT_MATCH_HORIZON: duration
    .refine(
      (ms) => ms >= MIN_RECEIPT_MATCH_HORIZON_MS,
      "must be at least 8d (a message may be valid for 7 days, and its receipt comes after that)",
    )
    .default(DEFAULT_RECEIPT_MATCH_HORIZON_MS),
  // Off by default: an upgrade must not start deleting history nobody asked to lose. Less than a day
  // would delete a message still waiting for a late receipt, or an event whose deliveries just ended.
  MESSAGE_RETENTION: retention.optional().transform((ms) => ms ?? null),
});

type EnvName = keyof typeof envSchema.shape;
const ENV_NAMES = Object.keys(envSchema.shape) as EnvName[];

/** Every environment variable {@link loadConfig} reads (what `serve --help` must document). */
export const CONFIG_VARIABLES: readonly string[] = ENV_NAMES;

/** File in DATA_DIR holding the credentials generated for the embedded default (mode 0600). */
export const GENERATED_SECRETS_FILE = "secrets.json";

const storedSecretsSchema = z.object({ adminToken: z.string().min(1), secretKey: z.string() });
type StoredSecrets = z.infer<typeof storedSecretsSchema>;

/**
 * Reads the credentials generated on an earlier run, or generates and stores them. Written to a
 * temporary file and hard-linked into place, so two processes starting together agree on one set.
 */
function loadOrCreateStoredSecrets(dataDir: string): { secrets: StoredSecrets; generated: boolean } {
  const file = join(dataDir, GENERATED_SECRETS_FILE);
  const read = (): StoredSecrets => {
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      content = undefined;
    }
    const parsed = storedSecretsSchema.safeParse(content);
    if (!parsed.success) {
      throw new ConfigError([{ variable: "DATA_DIR", message: `${file} is not a valid secrets file` }]);
    }
    return parsed.data;
  };
  if (existsSync(file)) return { secrets: read(), generated: false };

  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets: StoredSecrets = { adminToken: generateAdminToken(), secretKey: generateSecretKey() };
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, file);
    return { secrets, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return { secrets: read(), generated: false };
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

interface Credentials {
  adminToken: string;
  adminTokenSource: CredentialSource;
  secretKey: Buffer;
  secretKeySource: CredentialSource;
}

function resolveCredentials(
  databaseUrl: string | undefined,
  dataDir: string,
  adminToken: string | undefined,
  key: Buffer | undefined,
): Credentials {
  if (adminToken !== undefined && key !== undefined) {
    return { adminToken, adminTokenSource: "env", secretKey: key, secretKeySource: "env" };
  }
  if (databaseUrl !== undefined) {
    // Several instances share one database: a credential generated by one would not be known to the rest.
    const missing = [
      ...(adminToken === undefined ? ["ADMIN_TOKEN"] : []),
      ...(key === undefined ? ["SECRET_KEY"] : []),
    ];
    throw new ConfigError(
      missing.map((variable) => ({ variable, message: "required when DATABASE_URL is set" })),
    );
  }
  const { secrets, generated } = loadOrCreateStoredSecrets(dataDir);
  const source: CredentialSource = generated ? "generated" : "stored";
  let storedKey = key;
  if (storedKey === undefined) {
    const parsed = secretKey.safeParse(secrets.secretKey);
    if (!parsed.success) {
      throw new ConfigError([
        { variable: "DATA_DIR", message: `${GENERATED_SECRETS_FILE} holds a bad secretKey` },
      ]);
    }
    storedKey = parsed.data;
  }
  return {
    adminToken: adminToken ?? secrets.adminToken,
    adminTokenSource: adminToken === undefined ? source : "env",
    secretKey: storedKey,
    secretKeySource: key === undefined ? source : "env",
  };
}

/** Reads the variables of `names` that are set and not empty. */
function readEnv(env: NodeJS.ProcessEnv, names: readonly EnvName[]): Partial<Record<EnvName, string>> {
  const input: Partial<Record<EnvName, string>> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") input[name] = value;
  }
  return input;
}

function toConfigError(error: z.ZodError): ConfigError {
  return new ConfigError(
    error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? "environment"),
      message: issue.message,
    })),
  );
}

/** Just what opening the database needs (for `migrate`, which needs no credentials). */
export type DatabaseConfig = Pick<Config, "databaseUrl" | "dataDir" | "databasePoolSize">;

const databaseEnvSchema = envSchema.pick({ DATABASE_URL: true, DATA_DIR: true, DATABASE_POOL_SIZE: true });

/** Parses only the database variables (`DATABASE_URL`, `DATA_DIR`, `DATABASE_POOL_SIZE`). */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const parsed = databaseEnvSchema.safeParse(
    readEnv(env, ["DATABASE_URL", "DATA_DIR", "DATABASE_POOL_SIZE"]),
  );
  if (!parsed.success) throw toConfigError(parsed.error);
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    dataDir: resolve(parsed.data.DATA_DIR),
    databasePoolSize: parsed.data.DATABASE_POOL_SIZE,
  };
}

/**
 * Parses the environment into a {@link Config}, or throws a {@link ConfigError} naming each bad
 * variable. Empty variables count as unset. With `DATABASE_URL`, `ADMIN_TOKEN` and `SECRET_KEY` are
 * required; without it, whichever is missing is taken from `DATA_DIR/secrets.json`, generated there
 * on first run.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Partial<Record<EnvName, string>> = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== "") input[name] = value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "environment"),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);

  const credentials = resolveCredentials(e.DATABASE_URL, dataDir, e.ADMIN_TOKEN, e.SECRET_KEY);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    ...credentials,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    webhookRetryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE,
    webhookEndpointConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    inboundReassemblyTimeoutMs: e.INBOUND_REASSEMBLY_TIMEOUT,
    inboundRepeatWindowMs: e.INBOUND_REPEAT_WINDOW,
    unmatchedReceiptRetentionMs: e.UNMATCHED_RECEIPT_RETENTION,
    receiptMatchHorizonMs: e.RECEIPT_MATCH_HORIZON,
    messageRetentionMs: e.MESSAGE_RETENTION,
  };
}
