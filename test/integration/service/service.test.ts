/**
 * The whole service in one process, as `serve` runs it: real database, real HTTP, real SMPP to the
 * simulator. A message goes from POST /v1/messages to `delivered`, its webhook arrives, /metrics and
 * the logs show what happened, and no secret is ever logged.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import {
  call,
  type Provisioned,
  provision,
  startReceiver,
  startTestService,
  type TestService,
  waitFor,
} from "./harness.js";

const SYSTEM_ID = "bridge";
const PASSWORD = `p${randomBytes(4).toString("hex").slice(0, 7)}`;

describe("the running service", () => {
  let simulator: Simulator;
  let t: TestService;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let p: Provisioned;
  let webhookSecret: string;

  beforeAll(async () => {
    simulator = await Simulator.start({
      accounts: [{ systemId: SYSTEM_ID, password: PASSWORD }],
      dlrDelayMs: 50,
    });
    receiver = await startReceiver();
    t = await startTestService();
    p = await provision(t.service.url, t.config.adminToken, simulator, {
      systemId: SYSTEM_ID,
      password: PASSWORD,
    });
    const endpoint = await call(t.service.url, "POST", "/v1/webhook-endpoints", p.apiKey, {
      url: receiver.url,
    });
    expect(endpoint.status).toBe(201);
    webhookSecret = (endpoint.body as { secret: string }).secret;
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await simulator?.close();
  });

  it("takes a message over HTTP to delivered, and its webhooks to the receiver", async () => {
    const sent = await call(t.service.url, "POST", "/v1/messages", p.apiKey, {
      to: "+44 7700 900123",
      text: "hello from the service test",
    });
    expect(sent.status).toBe(202);
    const id = (sent.body as { id: string }).id;

    let last: { status: string; parts: { smsc_message_id: string | null }[] } | undefined;
    await waitFor(async () => {
      last = (await call(t.service.url, "GET", `/v1/messages/${id}`, p.apiKey)).body as typeof last;
      return last?.status === "delivered";
    }, "the message to be delivered");
    expect(last?.parts[0]?.smsc_message_id).toEqual(expect.any(String));
    expect(simulator.stats().submitsAccepted).toBe(1);
    expect(simulator.submits.list()).toHaveLength(1);

    await waitFor(
      () => receiver.received.some((r) => r.body.includes('"message.delivered"')),
      "the message.delivered webhook",
    );
    expect(receiver.received.some((r) => r.body.includes('"message.sent"'))).toBe(true);
  });

  it("serves the named series on GET /metrics without credentials", async () => {
    const account = p.accountId;
    let text = "";
    await waitFor(async () => {
      const metrics = await call(t.service.url, "GET", "/metrics", null);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
      text = String(metrics.body);
      return (
        text.includes(`smpp_bridge_messages_delivered_total{upstream="sim",account="${account}"} 1`) &&
        /smpp_bridge_webhook_attempts_total\{outcome="succeeded"\} [1-9]/.test(text)
      );
    }, "the delivered and webhook counters");

    expect(text).toContain(`smpp_bridge_messages_accepted_total{account="${account}"} 1`);
    expect(text).toContain(`smpp_bridge_messages_submitted_total{upstream="sim",account="${account}"} 1`);
    expect(text).toContain("smpp_bridge_messages_undelivered_total");
    expect(text).toContain("smpp_bridge_messages_failed_total");
    expect(text).toContain(`smpp_bridge_submit_duration_seconds_count{upstream="sim"} 1`);
    expect(text).toContain(`smpp_bridge_upstream_sessions{upstream="sim",state="bound"} 1`);
    expect(text).toContain(`smpp_bridge_upstream_sessions{upstream="sim",state="backoff"} 0`);
    expect(text).toContain(`smpp_bridge_upstream_window_capacity{upstream="sim"} 10`);
    expect(text).toMatch(/smpp_bridge_upstream_window_in_flight\{upstream="sim"\} \d/);
    expect(text).toMatch(/smpp_bridge_webhook_queue_depth \d/);
    // The one receipt matched on arrival; nothing waits (see metrics-pipeline.test.ts for the rest).
    expect(text).toContain('smpp_bridge_receipts_total{upstream="sim",outcome="matched"} 1');
    expect(text).toContain('smpp_bridge_receipts_unmatched{upstream="sim"} 0');
    expect(text).toContain('smpp_bridge_messages_backlog{status="queued"} 0');
    expect(text).toContain('smpp_bridge_messages_backlog{status="scheduled"} 0');
    expect(text).toContain(
      'smpp_bridge_http_requests_total{method="POST",route="/v1/messages",status="202"} 1',
    );
    // Ids in paths are folded into the route pattern, so the label set stays bounded.
    expect(text).toMatch(
      /smpp_bridge_http_requests_total\{method="GET",route="\/v1\/messages\/:id",status="200"\} \d/,
    );
    expect(text).toContain("smpp_bridge_http_request_duration_seconds_bucket");
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_heap_size_used_bytes");
  });

  it("logs one line per request with its request id, and session state changes", async () => {
    const response = await call(t.service.url, "GET", "/healthz", null, undefined, {
      "X-Request-Id": "probe-42",
    });
    expect(response.status).toBe(200);
    await waitFor(() => t.logs().some((l) => l.request_id === "probe-42"), "the request line");
    const line = t.logs().find((l) => l.request_id === "probe-42");
    expect(line).toMatchObject({
      msg: "request",
      method: "GET",
      route: "/healthz",
      path: "/healthz",
      status: 200,
    });
    expect(line?.duration_ms).toEqual(expect.any(Number));

    const accepted = t
      .logs()
      .find((l) => l.msg === "request" && l.route === "/v1/messages" && l.status === 202);
    expect(accepted?.request_id).toEqual(expect.any(String));
    const bound = t.logs().find((l) => l.msg === "smpp session state" && l.state === "bound");
    expect(bound).toMatchObject({ upstream: "sim", upstream_id: p.upstreamId });
  });

  it("never logs a secret: API key, admin token, upstream password, webhook secret", async () => {
    // A failing bind logs its error, and a rejected request its problem: both must stay clean too.
    const bad = await call(t.service.url, "GET", "/v1/messages", `${p.apiKey}x`);
    expect(bad.status).toBe(401);
    await t.service.stop("secret check");
    const text = t.logText();
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('"msg":"stopped"');
    for (const secret of [p.apiKey, t.config.adminToken, PASSWORD, webhookSecret]) {
      expect(secret.length).toBeGreaterThanOrEqual(8);
      expect(text.includes(secret)).toBe(false);
    }
    expect(text.includes(webhookSecret.replace(/^whsec_/, ""))).toBe(false);
  });
});
