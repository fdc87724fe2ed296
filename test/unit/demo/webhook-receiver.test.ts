import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DemoWebhookReceiver } from "../../../src/demo/webhook-receiver.js";

const secret = `whsec_${randomBytes(24).toString("base64")}`;
const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
const logger = {
  info: (obj: object, msg: string) => lines.push({ level: "info", msg, obj: obj as Record<string, unknown> }),
  warn: (obj: object, msg: string) => lines.push({ level: "warn", msg, obj: obj as Record<string, unknown> }),
};

let receiver: DemoWebhookReceiver;
beforeEach(async () => {
  lines.length = 0;
  receiver = await DemoWebhookReceiver.start(logger);
});
afterEach(async () => {
  await receiver.close();
});

function deliver(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(receiver.url, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

function signedHeaders(id: string, body: string, key = secret): Record<string, string> {
  const at = new Date();
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(key).sign(id, at, body),
  };
}

const event = JSON.stringify({
  id: "evt_1",
  type: "message.delivered",
  created_at: new Date().toISOString(),
  data: { id: "msg_1", status: "delivered" },
});

describe("DemoWebhookReceiver (real HTTP on 127.0.0.1)", () => {
  it("listens on loopback and logs a correctly signed event", async () => {
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks$/);
    receiver.setSecret(secret);
    const response = await deliver(event, signedHeaders("evt_1", event));
    expect(response.status).toBe(204);
    expect(receiver.received).toEqual([
      { eventId: "evt_1", type: "message.delivered", subjectId: "msg_1", status: "delivered" },
    ]);
    expect(lines.find((l) => l.level === "info")?.obj).toMatchObject({ event_id: "evt_1", id: "msg_1" });
  });

  it("refuses (401) a forged or unsigned delivery and keeps nothing", async () => {
    receiver.setSecret(secret);
    const forged = signedHeaders("evt_1", event, `whsec_${randomBytes(24).toString("base64")}`);
    expect((await deliver(event, forged)).status).toBe(401);
    expect((await deliver(event, {})).status).toBe(401);
    expect(receiver.received).toEqual([]);
    expect(lines.filter((l) => l.msg === "demo webhook refused").length).toBe(2);
  });

  it("refuses everything until it knows the secret, and answers 404 elsewhere", async () => {
    expect((await deliver(event, signedHeaders("evt_1", event))).status).toBe(401);
    expect((await fetch(receiver.url.replace("/webhooks", "/other"), { method: "POST" })).status).toBe(404);
  });
});
