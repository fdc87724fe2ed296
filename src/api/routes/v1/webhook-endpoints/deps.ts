import type { Context } from "hono";
import { WebhookEndpointService } from "../../../../core/webhooks/index.js";
import type { Database } from "../../../../db/client.js";
import type { AppEnv } from "../../../app-env.js";

/**
 * Whether private webhook targets are allowed (WEBHOOK_ALLOW_PRIVATE). Read from the app's config
 * when main hands over the whole parsed Config; absent means refused, the safe default.
 */
function allowPrivate(config: object): boolean {
  return "webhookAllowPrivate" in config && config.webhookAllowPrivate === true;
}

/** The endpoint service for this request (stateless: db and keys from the app's deps). */
export function endpointService(c: Context<AppEnv>): WebhookEndpointService {
  const { db, config } = c.get("deps");
  return new WebhookEndpointService({ db, secretKey: config.secretKey, allowPrivate: allowPrivate(config) });
}

// The worker lives in main; a manual retry only needs to nudge it, and the poll would find the row
// within a second anyway.
const wakers = new WeakMap<Database, () => void>();

/** Lets the retry route wake the delivery worker of the app on `db` (main: `() => worker.wake()`). */
export function provideWebhookWake(db: Database, wake: () => void): void {
  wakers.set(db, wake);
}

/** Wakes the delivery worker if main registered one. */
export function wakeWebhookWorker(c: Context<AppEnv>): void {
  wakers.get(c.get("deps").db)?.();
}
