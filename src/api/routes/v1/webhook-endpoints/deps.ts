import type { Context } from "hono";
import { WebhookEndpointService } from "../../../../core/webhooks/index.js";
import type { AppEnv } from "../../../app-env.js";

/** The endpoint service for this request (stateless: db and keys from the app's deps). */
export function endpointService(c: Context<AppEnv>): WebhookEndpointService {
  const { db, config } = c.get("deps");
  return new WebhookEndpointService({
    db,
    secretKey: config.secretKey,
    allowPrivate: config.webhookAllowPrivate === true,
  });
}
