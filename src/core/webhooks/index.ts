/** Webhooks: endpoints (API side), the delivery log, and the delivery worker (main starts it). */
export { forbiddenAddressReason } from "./address-policy.js";
export {
  getDelivery,
  listAttempts,
  listDeliveries,
  retryDelivery,
  type WebhookAttempt,
  type WebhookDelivery,
} from "./delivery-log.js";
export {
  PREVIOUS_SECRET_GRACE_MS,
  type WebhookEndpoint,
  type WebhookEndpointInput,
  type WebhookEndpointPatch,
  WebhookEndpointService,
  type WebhookEndpointServiceOptions,
  type WebhookEndpointWithSecret,
} from "./endpoints.js";
export { signatureHeader, signingKey } from "./signing.js";
export { checkWebhookUrl, UnsafeWebhookUrlError } from "./url-policy.js";
export { WebhookWorker, type WebhookWorkerOptions, type WebhookWorkerStats } from "./worker/worker.js";
