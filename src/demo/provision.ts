import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type ApiClient, DemoSetupError, field } from "./api-client.js";
import type { DemoLogger } from "./logger.js";
import { DEMO_STATE_FILE, type DemoState, readDemoState, writeDemoState } from "./state.js";

/** Names the demo gives what it creates; a second run finds them by these. */
export const DEMO_UPSTREAM_NAME = "demo-smsc";
export const DEMO_ACCOUNT_NAME = "Demo account";
export const DEMO_API_KEY_NAME = "demo";
/** The sender of the demo account's messages (used when a message has no `from`). */
export const DEMO_DEFAULT_FROM = "SMPPBridge";
/** SMPP credentials of the demo upstream at the simulator (password: at most 8 characters). */
export const DEMO_SYSTEM_ID = "demo";
export const DEMO_SMPP_PASSWORD = "demo-pw";

/** Description of the demo receiver's webhook endpoint; a run that lost its secret finds the old ones by it. */
export const DEMO_ENDPOINT_DESCRIPTION = "smpp-bridge demo receiver (logs each event)";

/** How long the setup waits for the demo upstream's session to bind (milliseconds). */
const BIND_WAIT_MS = 15_000;
const BIND_POLL_MS = 100;

export interface ProvisionInput {
  /** The bridge's admin API, with the admin token. */
  admin: ApiClient;
  dataDir: string;
  /** Where the simulator listens. */
  smsc: { host: string; port: number };
  /** The demo receiver's URL; undefined: register no webhook endpoint. */
  webhookUrl: string | undefined;
  logger: DemoLogger;
}

export interface DemoData {
  upstreamId: string;
  accountId: string;
  routeId: string;
  apiKey: string;
  /** The endpoint's signing secret; undefined when no endpoint could be registered. */
  webhookSecret: string | undefined;
  webhookEndpointId: string | undefined;
  /** Whether the demo upstream's session reached `bound` within the wait. */
  bound: boolean;
  /** True on the first run (the account was created now), false when an earlier run's data was reused. */
  firstRun: boolean;
}

/**
 * Creates the demo data through the API, or brings an earlier run's data up to date (the simulator
 * and the receiver listen on new ports each run): an upstream bound to the simulator, an account with
 * an API key, a catch-all route for that account, and a webhook endpoint at the demo receiver.
 */
export async function provisionDemo(input: ProvisionInput): Promise<DemoData> {
  const { admin, dataDir, logger } = input;
  const { state: stored, problem } = readDemoState(dataDir);
  if (problem !== undefined) {
    // The API key and webhook secret it held cannot be shown again: new ones are made, and the file
    // is rewritten. Keys made by earlier runs stay valid until revoked.
    logger.warn(
      { file: join(dataDir, DEMO_STATE_FILE), problem },
      `${DEMO_STATE_FILE} cannot be used: the demo makes a new API key and webhook endpoint and rewrites it`,
    );
  }

  const upstreamId = await ensureUpstream(admin, input.smsc);
  const { accountId, created } = await ensureAccount(admin, stored);
  const { apiKeyId, apiKey } = await ensureApiKey(admin, accountId, stored);
  let state: DemoState = { accountId, apiKeyId, apiKey };
  writeDemoState(dataDir, state);
  const routeId = await ensureRoute(admin, accountId, upstreamId);

  let webhook: { id: string; secret: string } | undefined;
  if (input.webhookUrl !== undefined) {
    webhook = await ensureWebhookEndpoint(admin.as(apiKey), input.webhookUrl, stored, logger);
    if (webhook !== undefined) {
      state = { ...state, webhookEndpointId: webhook.id, webhookSecret: webhook.secret };
      writeDemoState(dataDir, state);
    }
  }

  const bound = await waitForBind(admin, upstreamId);
  if (!bound) logger.warn({ upstream: DEMO_UPSTREAM_NAME }, "demo upstream not bound yet");
  return {
    upstreamId,
    accountId,
    routeId,
    apiKey,
    webhookSecret: webhook?.secret,
    webhookEndpointId: webhook?.id,
    bound,
    firstRun: created,
  };
}

async function ensureUpstream(admin: ApiClient, smsc: { host: string; port: number }): Promise<string> {
  const settings = {
    host: smsc.host,
    port: smsc.port,
    system_id: DEMO_SYSTEM_ID,
    password: DEMO_SMPP_PASSWORD,
    enabled: true,
  };
  const existing = (await admin.listAll("/admin/upstreams")).find((u) => u.name === DEMO_UPSTREAM_NAME);
  if (existing !== undefined) {
    // The simulator listens on a new port each run: point the upstream at it (the pool rebinds).
    const id = field(existing, "id");
    await admin.expect("PATCH", `/admin/upstreams/${id}`, [200], settings);
    return id;
  }
  const { body } = await admin.expect("POST", "/admin/upstreams", [201], {
    name: DEMO_UPSTREAM_NAME,
    ...settings,
    sessions: 1,
    window: 10,
  });
  return field(body, "id");
}

async function ensureAccount(
  admin: ApiClient,
  stored: DemoState | undefined,
): Promise<{ accountId: string; created: boolean }> {
  if (stored !== undefined) {
    const { status } = await admin.call("GET", `/admin/accounts/${encodeURIComponent(stored.accountId)}`);
    if (status === 200) return { accountId: stored.accountId, created: false };
  }
  // demo.json lost but the database kept: adopt the account by name rather than make a second one.
  const byName = (await admin.listAll("/admin/accounts")).find((a) => a.name === DEMO_ACCOUNT_NAME);
  if (byName !== undefined) return { accountId: field(byName, "id"), created: false };
  const { body } = await admin.expect("POST", "/admin/accounts", [201], {
    name: DEMO_ACCOUNT_NAME,
    default_from: DEMO_DEFAULT_FROM,
  });
  return { accountId: field(body, "id"), created: true };
}

async function ensureApiKey(
  admin: ApiClient,
  accountId: string,
  stored: DemoState | undefined,
): Promise<{ apiKeyId: string; apiKey: string }> {
  if (stored !== undefined && stored.accountId === accountId) {
    const keys = await admin.listAll(`/admin/accounts/${accountId}/api-keys`);
    const kept = keys.find((k) => k.id === stored.apiKeyId);
    if (kept !== undefined && kept.revoked_at == null)
      return { apiKeyId: stored.apiKeyId, apiKey: stored.apiKey };
  }
  const { body } = await admin.expect("POST", `/admin/accounts/${accountId}/api-keys`, [201], {
    name: DEMO_API_KEY_NAME,
  });
  return { apiKeyId: field(body, "id"), apiKey: field(body, "key") };
}

async function ensureRoute(admin: ApiClient, accountId: string, upstreamId: string): Promise<string> {
  const routes = await admin.listAll("/admin/routes");
  const existing = routes.find(
    (r) =>
      r.prefix === "" &&
      r.account_id === accountId &&
      Array.isArray(r.upstream_ids) &&
      r.upstream_ids.includes(upstreamId),
  );
  if (existing !== undefined) return field(existing, "id");
  // The account's own catch-all route: it wins over shared routes and leaves them alone.
  const { body } = await admin.expect("POST", "/admin/routes", [201], {
    prefix: "",
    upstream_ids: [upstreamId],
    account_id: accountId,
  });
  return field(body, "id");
}

async function ensureWebhookEndpoint(
  customer: ApiClient,
  url: string,
  stored: DemoState | undefined,
  logger: DemoLogger,
): Promise<{ id: string; secret: string } | undefined> {
  if (stored?.webhookEndpointId !== undefined && stored.webhookSecret !== undefined) {
    const path = `/v1/webhook-endpoints/${encodeURIComponent(stored.webhookEndpointId)}`;
    const { status } = await customer.call("GET", path);
    if (status === 200) {
      // The receiver listens on a new port each run.
      await customer.expect("PATCH", path, [200], { url });
      return { id: stored.webhookEndpointId, secret: stored.webhookSecret };
    }
  }
  const answer = await customer.call("POST", "/v1/webhook-endpoints", {
    url,
    description: DEMO_ENDPOINT_DESCRIPTION,
  });
  if (answer.status === 404 || answer.status === 405) {
    logger.warn({}, "webhook endpoints are not available in this build: the demo receiver is idle");
    return undefined;
  }
  if (answer.status !== 201) {
    throw new DemoSetupError(
      `POST /v1/webhook-endpoints answered ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
  const id = field(answer.body, "id");
  // Receivers of earlier runs whose secret was lost with demo.json: they point at ports nothing of
  // ours listens on any more, and every event would be retried there until it went dead.
  for (const old of await customer.listAll("/v1/webhook-endpoints")) {
    if (old.description !== DEMO_ENDPOINT_DESCRIPTION || old.id === id) continue;
    await customer.expect(
      "DELETE",
      `/v1/webhook-endpoints/${encodeURIComponent(field(old, "id"))}`,
      [204, 404],
    );
  }
  return { id, secret: field(answer.body, "secret") };
}

async function waitForBind(admin: ApiClient, upstreamId: string): Promise<boolean> {
  const deadline = Date.now() + BIND_WAIT_MS;
  while (Date.now() < deadline) {
    const { status, body } = await admin.call("GET", `/admin/upstreams/${upstreamId}/sessions`);
    const sessions = status === 200 ? ((body as { data?: { state?: string }[] }).data ?? []) : [];
    if (sessions.some((s) => s.state === "bound")) return true;
    await sleep(BIND_POLL_MS);
  }
  return false;
}
