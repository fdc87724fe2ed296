import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  newWebhookSecret,
  openWebhookSecret,
  sealWebhookSecret,
  signatureHeader,
  signingKey,
} from "../../../../src/core/webhooks/signing.js";
import { webhookBody } from "../../../../src/core/webhooks/worker/payload.js";

describe("Standard Webhooks signatures", () => {
  it("agree with the standardwebhooks package, for one and for two secrets", () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    const id = "evt_01jd8x3r4t5v6w7x8y9z0a1b2c";
    const timestamp = Math.floor(Date.now() / 1000);
    const body = webhookBody(
      id,
      "message.sent",
      "2025-01-31T12:00:00.000Z",
      '{"id": "msg_1", "text": "ünï"}',
    );
    const headers = (signature: string) => ({
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
    });

    const one = signatureHeader(id, timestamp, body, [signingKey(current)]);
    expect(one).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(current).verify(body, headers(one))).toEqual({
      id,
      type: "message.sent",
      created_at: "2025-01-31T12:00:00.000Z",
      data: { id: "msg_1", text: "ünï" },
    });
    // The package signs the same way.
    expect(new Webhook(current).sign(id, new Date(timestamp * 1000), body)).toBe(one);

    const two = signatureHeader(id, timestamp, body, [signingKey(current), signingKey(previous)]);
    expect(two.split(" ")).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers(two))).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers(two))).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers(two))).toThrow();
    expect(() => new Webhook(current).verify(body.replace("ünï", "uni"), headers(two))).toThrow();
  });

  it("makes whsec_ secrets of 32 random bytes, sealed so only the key opens them", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(signingKey(secret)).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    const key = randomBytes(32);
    const sealed = sealWebhookSecret(secret, key);
    expect(sealed).not.toContain(secret.slice(6));
    expect(openWebhookSecret(sealed, key)).toBe(secret);
    expect(() => openWebhookSecret(sealed, randomBytes(32))).toThrow();
  });
});
