import type { Context } from "hono";
import type { UpstreamDeps } from "../../../../core/upstreams.js";
import type { AppEnv } from "../../../app-env.js";

/** The upstream service's dependencies, from the app's injected deps. */
export function upstreamDeps(c: Context<AppEnv>): UpstreamDeps {
  const { db, config, upstreamRuntime } = c.get("deps");
  return { db, secretKey: config.secretKey, runtime: upstreamRuntime };
}
