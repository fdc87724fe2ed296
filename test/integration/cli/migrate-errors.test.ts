/**
 * `smpp-bridge migrate` against a database it cannot reach says why. The driver's error comes wrapped
 * in a failed-query error whose own message only names the query (`select pg_advisory_lock($1)`): the
 * command used to print that alone, leaving an operator nothing to go on.
 */
import { describe, expect, it } from "vitest";
import { freePort } from "../first-run/serve-process.js";
import { cliEnv, runCli } from "./run-cli.js";

describe("smpp-bridge migrate, database unreachable", () => {
  it("exits 1 and prints the cause, not only the query that failed", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const result = await runCli(
      ["migrate"],
      cliEnv({ DATABASE_URL: `postgres://bridge@127.0.0.1:${port}/bridge` }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(result.stderr).not.toContain("    at ");
  });
});
