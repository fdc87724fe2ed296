/**
 * `smpp-bridge serve` as its own process, with the timings that make a dead instance's work wait
 * (leases, syncs) shortened through the TUNED_* environment variables, in ms: a multi-instance test
 * then sees a reclaim within seconds rather than minutes. Unset variables keep the production default.
 * Run it with spawnCli(["--port", …], env, "test/integration/service/serve-tuned.ts").
 */
import { runServeCommand } from "../../../src/cli/serve.js";

function ms(name: string): number | undefined {
  const text = process.env[name];
  return text === undefined || text === "" ? undefined : Number(text);
}

runServeCommand(process.argv.slice(2), {
  dispatcher: {
    leaseMs: ms("TUNED_LEASE_MS"),
    pollIntervalMs: ms("TUNED_POLL_MS"),
    routeRefreshMs: ms("TUNED_ROUTE_REFRESH_MS"),
  },
  upstreamSyncIntervalMs: ms("TUNED_UPSTREAM_SYNC_MS"),
  webhookPollIntervalMs: ms("TUNED_WEBHOOK_POLL_MS"),
  webhookLeaseMs: ms("TUNED_WEBHOOK_LEASE_MS"),
  webhookTimeoutMs: ms("TUNED_WEBHOOK_TIMEOUT_MS"),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
