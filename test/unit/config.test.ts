import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS,
  GENERATED_SECRETS_FILE,
  loadConfig,
  loadDatabaseConfig,
  parseDuration,
} from "../../src/config.js";

const KEY = randomBytes(32).toString("base64");
const PG = "postgres://user@127.0.0.1:5432/db";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "smpp-bridge-config-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** The ConfigError thrown for `env`, or a failure when none is. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ DATA_DIR: dataDir, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig defaults", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      databaseUrl: undefined,
      dataDir,
      databasePoolSize: 10,
      webhookAllowPrivate: false,
      webhookRetryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      webhookEndpointConcurrency: 16,
      logLevel: "info",
      inboundReassemblyTimeoutMs: 86_400_000,
      inboundRepeatWindowMs: 3_600_000,
      unmatchedReceiptRetentionMs: 604_800_000,
      receiptMatchHorizonMs: 864_000_000,
      // Unset keeps history for ever: an upgrade deletes nothing.
      messageRetentionMs: null,
    });
    expect(config.webhookRetryScheduleMs).toEqual(DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS);
  });

  it("defaults DATA_DIR to ./data, resolved to an absolute path", () => {
    expect(loadDatabaseConfig({}).dataDir).toBe(join(process.cwd(), "data"));
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "0",
      HOST: "0.0.0.0",
      DATABASE_URL: PG,
      DATA_DIR: dataDir,
      DATABASE_POOL_SIZE: "25",
      ADMIN_TOKEN: "admin-token",
      SECRET_KEY: KEY,
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_RETRY_SCHEDULE: "100ms, 1s,2m",
      WEBHOOK_ENDPOINT_CONCURRENCY: "32",
      LOG_LEVEL: "debug",
      INBOUND_REASSEMBLY_TIMEOUT: "1h",
      INBOUND_REPEAT_WINDOW: "2m",
      // The least it takes.
      UNMATCHED_RECEIPT_RETENTION: "1h",
      RECEIPT_MATCH_HORIZON: "8d",
      MESSAGE_RETENTION: "90d",
    });
    expect(config).toMatchObject({
      port: 0,
      host: "0.0.0.0",
      databaseUrl: PG,
      databasePoolSize: 25,
      adminToken: "admin-token",
      adminTokenSource: "env",
      secretKeySource: "env",
      webhookAllowPrivate: true,
      webhookRetryScheduleMs: [100, 1_000, 120_000],
      webhookEndpointConcurrency: 32,
      logLevel: "debug",
      inboundReassemblyTimeoutMs: 3_600_000,
      inboundRepeatWindowMs: 120_000,
      unmatchedReceiptRetentionMs: 3_600_000,
      receiptMatchHorizonMs: 8 * 86_400_000,
      messageRetentionMs: 90 * 86_400_000,
    });
    expect(config.secretKey.equals(Buffer.from(KEY, "base64"))).toBe(true);
  });

  it("takes MESSAGE_RETENTION off, or at least a day", () => {
    expect(loadConfig({ DATA_DIR: dataDir, MESSAGE_RETENTION: "off" }).messageRetentionMs).toBeNull();
    expect(loadConfig({ DATA_DIR: dataDir, MESSAGE_RETENTION: "1d" }).messageRetentionMs).toBe(86_400_000);
    expect(loadConfig({ DATA_DIR: dataDir, MESSAGE_RETENTION: "36h" }).messageRetentionMs).toBe(129_600_000);
  });

  it("treats empty variables as unset", () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: "", DATABASE_URL: "", LOG_LEVEL: "" });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe("info");
  });
});

describe("loadConfig failures name the variable", () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "65536" }, "PORT"],
    [{ PORT: "-1" }, "PORT"],
    [{ DATABASE_URL: "mysql://x/y" }, "DATABASE_URL"],
    [{ DATABASE_POOL_SIZE: "0" }, "DATABASE_POOL_SIZE"],
    [{ SECRET_KEY: randomBytes(16).toString("base64") }, "SECRET_KEY"],
    [{ SECRET_KEY: "not base64 at all!!" }, "SECRET_KEY"],
    [{ WEBHOOK_ALLOW_PRIVATE: "yes" }, "WEBHOOK_ALLOW_PRIVATE"],
    [{ WEBHOOK_RETRY_SCHEDULE: "5s,soon" }, "WEBHOOK_RETRY_SCHEDULE"],
    [{ WEBHOOK_RETRY_SCHEDULE: "5s,,5m" }, "WEBHOOK_RETRY_SCHEDULE"],
    [{ WEBHOOK_RETRY_SCHEDULE: "5" }, "WEBHOOK_RETRY_SCHEDULE"],
    [{ WEBHOOK_ENDPOINT_CONCURRENCY: "0" }, "WEBHOOK_ENDPOINT_CONCURRENCY"],
    [{ WEBHOOK_ENDPOINT_CONCURRENCY: "257" }, "WEBHOOK_ENDPOINT_CONCURRENCY"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ INBOUND_REASSEMBLY_TIMEOUT: "a day" }, "INBOUND_REASSEMBLY_TIMEOUT"],
    [{ INBOUND_REASSEMBLY_TIMEOUT: "0s" }, "INBOUND_REASSEMBLY_TIMEOUT"],
    [{ INBOUND_REPEAT_WINDOW: "500ms" }, "INBOUND_REPEAT_WINDOW"],
    [{ UNMATCHED_RECEIPT_RETENTION: "59m" }, "UNMATCHED_RECEIPT_RETENTION"],
    [{ UNMATCHED_RECEIPT_RETENTION: "a week" }, "UNMATCHED_RECEIPT_RETENTION"],
    [{ RECEIPT_MATCH_HORIZON: "7d" }, "RECEIPT_MATCH_HORIZON"],
    [{ RECEIPT_MATCH_HORIZON: "191h" }, "RECEIPT_MATCH_HORIZON"],
    [{ MESSAGE_RETENTION: "23h" }, "MESSAGE_RETENTION"],
    [{ MESSAGE_RETENTION: "90" }, "MESSAGE_RETENTION"],
    [{ MESSAGE_RETENTION: "never" }, "MESSAGE_RETENTION"],
    // No `Authorization: Bearer …` header can carry these: the admin API would refuse every request.
    [{ ADMIN_TOKEN: "correct horse battery" }, "ADMIN_TOKEN"],
    [{ ADMIN_TOKEN: "tökén" }, "ADMIN_TOKEN"],
  ];
  for (const [env, variable] of cases) {
    it(`${variable}=${Object.values(env)[0]}`, () => {
      const error = configError(env);
      expect(error.problems.map((p) => p.variable)).toEqual([variable]);
      expect(error.message).toContain(variable);
    });
  }

  it("refuses a DATABASE_URL that is no URL without printing its password", () => {
    const error = configError({
      DATABASE_URL: "postgres://bridge:Pa55word@db.internal:5432x/bridge",
      ADMIN_TOKEN: "t",
      SECRET_KEY: KEY,
    });
    expect(error.problems.map((p) => p.variable)).toEqual(["DATABASE_URL"]);
    expect(error.message).not.toContain("Pa55word");
  });

  it("lists every bad variable at once", () => {
    const error = configError({ PORT: "x", LOG_LEVEL: "y" });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(["LOG_LEVEL", "PORT"]);
  });

  it("requires ADMIN_TOKEN and SECRET_KEY with DATABASE_URL", () => {
    expect(configError({ DATABASE_URL: PG }).problems.map((p) => p.variable)).toEqual([
      "ADMIN_TOKEN",
      "SECRET_KEY",
    ]);
    expect(configError({ DATABASE_URL: PG, ADMIN_TOKEN: "t" }).problems.map((p) => p.variable)).toEqual([
      "SECRET_KEY",
    ]);
    expect(configError({ DATABASE_URL: PG, SECRET_KEY: KEY }).message).toContain("ADMIN_TOKEN");
  });
});

describe("generated credentials for the embedded default", () => {
  it("generates them on first run, stores them 0600, and reuses them afterwards", () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.adminTokenSource).toBe("generated");
    expect(first.secretKeySource).toBe("generated");
    expect(first.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(first.secretKey).toHaveLength(32);

    const file = join(dataDir, GENERATED_SECRETS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toContain(first.adminToken);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.adminTokenSource).toBe("stored");
    expect(second.adminToken).toBe(first.adminToken);
    expect(second.secretKey.equals(first.secretKey)).toBe(true);
  });

  it("prefers the environment over the stored values, one by one", () => {
    const stored = loadConfig({ DATA_DIR: dataDir });
    const config = loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: "from-env" });
    expect(config.adminToken).toBe("from-env");
    expect(config.adminTokenSource).toBe("env");
    expect(config.secretKeySource).toBe("stored");
    expect(config.secretKey.equals(stored.secretKey)).toBe(true);
  });

  it("writes nothing when both come from the environment", () => {
    loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: "t", SECRET_KEY: KEY });
    expect(() => statSync(join(dataDir, GENERATED_SECRETS_FILE))).toThrow();
  });

  it("fails naming DATA_DIR when the stored file is corrupt", () => {
    writeFileSync(
      join(dataDir, GENERATED_SECRETS_FILE),
      JSON.stringify({ adminToken: "x", secretKey: "short" }),
    );
    expect(configError({}).problems.map((p) => p.variable)).toEqual(["DATA_DIR"]);
    writeFileSync(join(dataDir, GENERATED_SECRETS_FILE), "{ not json");
    expect(configError({}).problems.map((p) => p.variable)).toEqual(["DATA_DIR"]);
  });
});

describe("parseDuration", () => {
  it("reads ms, s, m, h and d", () => {
    expect(["250ms", "5s", "1.5s", "5m", "2h", "1d"].map(parseDuration)).toEqual([
      250, 5_000, 1_500, 300_000, 7_200_000, 86_400_000,
    ]);
  });
  it("rejects what has no unit or is not a number", () => {
    expect(["5", "s", "5 sec", "-5s", ""].map(parseDuration)).toEqual([null, null, null, null, null]);
  });
});
