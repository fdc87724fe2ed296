/**
 * Start-up of the SMPP side: every stored upstream is handed to the runtime (which binds the enabled
 * ones in the background), so sessions exist before the dispatcher sends. Bind failures are session
 * state shown by the admin API, not start-up errors.
 */
import type { Database } from "../db/client.js";
import type { UpstreamRuntime } from "./upstream-runtime.js";
import { loadUpstreamConfigs } from "./upstreams.js";

/**
 * Loads the upstream rows (passwords opened with `secretKey`) into `runtime`; resolves with how many
 * were applied. Rejects only when the database cannot be read or a password cannot be opened.
 */
export async function loadUpstreamsIntoRuntime(
  db: Database,
  secretKey: Uint8Array,
  runtime: UpstreamRuntime,
): Promise<number> {
  const configs = await loadUpstreamConfigs(db, secretKey);
  await Promise.all(configs.map((config) => runtime.apply(config)));
  return configs.length;
}
