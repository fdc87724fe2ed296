import type { App } from "./app-env.js";
import { registerCreateAccount } from "./routes/admin/accounts/create.js";
import { registerDeleteAccount } from "./routes/admin/accounts/delete.js";
import { registerGetAccount } from "./routes/admin/accounts/get.js";
import { registerListAccounts } from "./routes/admin/accounts/list.js";
import { registerUpdateAccount } from "./routes/admin/accounts/update.js";
import { registerCreateApiKey } from "./routes/admin/api-keys/create.js";
import { registerListApiKeys } from "./routes/admin/api-keys/list.js";
import { registerRevokeApiKey } from "./routes/admin/api-keys/revoke.js";
import { registerAdminListInbound } from "./routes/admin/inbound/list.js";
import { registerCreateNumber } from "./routes/admin/numbers/create.js";
import { registerDeleteNumber } from "./routes/admin/numbers/delete.js";
import { registerListNumbers } from "./routes/admin/numbers/list.js";
import { registerCreateRoute } from "./routes/admin/routes/create.js";
import { registerDeleteRoute } from "./routes/admin/routes/delete.js";
import { registerListRoutes } from "./routes/admin/routes/list.js";
import { registerCreateUpstream } from "./routes/admin/upstreams/create.js";
import { registerDeleteUpstream } from "./routes/admin/upstreams/delete.js";
import { registerGetUpstream } from "./routes/admin/upstreams/get.js";
import { registerListUpstreams } from "./routes/admin/upstreams/list.js";
import { registerGetPduLog } from "./routes/admin/upstreams/pdu-log-get.js";
import { registerPutPduLog } from "./routes/admin/upstreams/pdu-log-put.js";
import { registerUpstreamSessions } from "./routes/admin/upstreams/sessions.js";
import { registerUpdateUpstream } from "./routes/admin/upstreams/update.js";
import { registerDocs } from "./routes/ops/docs.js";
import { registerHealthz } from "./routes/ops/healthz.js";
import { registerMetrics } from "./routes/ops/metrics.js";
import { registerOpenApiJson } from "./routes/ops/openapi-json.js";
import { registerReadyz } from "./routes/ops/readyz.js";
import { INBOUND_ROUTES } from "./routes/v1/inbound/index.js";
import { MESSAGE_ROUTES } from "./routes/v1/messages/index.js";
import { WEBHOOK_ENDPOINT_ROUTES } from "./routes/v1/webhook-endpoints/index.js";

/**
 * Every route of the API, in the order the OpenAPI document lists them. Adding a route: write its file
 * under routes/ (createRoute + handler, exporting `register…`), then add it here. Nothing is discovered.
 */
export const ROUTES: ReadonlyArray<(app: App) => unknown> = [
  // Operations
  registerHealthz,
  registerReadyz,
  registerOpenApiJson,
  registerDocs,
  registerMetrics,
  // Customer: each area keeps its own explicit list beside its routes
  ...MESSAGE_ROUTES,
  ...INBOUND_ROUTES,
  ...WEBHOOK_ENDPOINT_ROUTES,
  // Admin: upstreams
  registerCreateUpstream,
  registerListUpstreams,
  registerGetUpstream,
  registerUpdateUpstream,
  registerDeleteUpstream,
  registerUpstreamSessions,
  registerPutPduLog,
  registerGetPduLog,
  // Admin: accounts and their API keys
  registerCreateAccount,
  registerListAccounts,
  registerGetAccount,
  registerUpdateAccount,
  registerDeleteAccount,
  registerCreateApiKey,
  registerListApiKeys,
  registerRevokeApiKey,
  // Admin: routing and numbers
  registerCreateRoute,
  registerListRoutes,
  registerDeleteRoute,
  registerCreateNumber,
  registerListNumbers,
  registerDeleteNumber,
  // Admin: inbound SMS (also those to no known number)
  registerAdminListInbound,
];

export function registerRoutes(app: App): void {
  for (const register of ROUTES) register(app);
}
