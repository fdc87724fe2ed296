import type { App } from "../../../app-env.js";
import { registerCreateWebhookEndpoint } from "./create.js";
import { registerDeleteWebhookEndpoint } from "./delete.js";
import { registerListWebhookDeliveries } from "./deliveries.js";
import { registerListWebhookDeliveryAttempts } from "./delivery-attempts.js";
import { registerRetryWebhookDelivery } from "./delivery-retry.js";
import { registerGetWebhookEndpoint } from "./get.js";
import { registerListWebhookEndpoints } from "./list.js";
import { registerRotateWebhookEndpointSecret } from "./rotate-secret.js";
import { registerUpdateWebhookEndpoint } from "./update.js";

/** The customer routes for webhook endpoints, in the order the OpenAPI document lists them. */
export const WEBHOOK_ENDPOINT_ROUTES: ReadonlyArray<(app: App) => unknown> = [
  registerCreateWebhookEndpoint,
  registerListWebhookEndpoints,
  registerGetWebhookEndpoint,
  registerUpdateWebhookEndpoint,
  registerDeleteWebhookEndpoint,
  registerRotateWebhookEndpointSecret,
  registerListWebhookDeliveries,
  registerListWebhookDeliveryAttempts,
  registerRetryWebhookDelivery,
];
