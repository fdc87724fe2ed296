import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { checkWebhookSignature } from "../../../src/demo/signature.js";

const secret = `whsec_${randomBytes(24).toString("base64")}`;
const body = JSON.stringify({ id: "evt_1", type: "message.delivered", data: { id: "msg_1" } });
const now = 1_800_000_000;

function signed(id: string, at: number, payload: string, key = secret) {
  return {
    id,
    timestamp: String(at),
    signature: new Webhook(key).sign(id, new Date(at * 1000), payload),
    body: payload,
  };
}

describe("checkWebhookSignature (the demo receiver's check)", () => {
  it("accepts what the standardwebhooks package signs", () => {
    expect(checkWebhookSignature(secret, signed("evt_1", now, body), now)).toBeNull();
  });

  it("accepts when one of several signatures (a rotation) matches", () => {
    const delivery = signed("evt_1", now, body);
    const other = signed("evt_1", now, body, `whsec_${randomBytes(24).toString("base64")}`);
    expect(
      checkWebhookSignature(
        secret,
        { ...delivery, signature: `${other.signature} ${delivery.signature}` },
        now,
      ),
    ).toBeNull();
  });

  it("refuses a changed body, id or timestamp, and another secret", () => {
    const delivery = signed("evt_1", now, body);
    expect(checkWebhookSignature(secret, { ...delivery, body: `${body} ` }, now)).toBe("bad signature");
    expect(checkWebhookSignature(secret, { ...delivery, id: "evt_2" }, now)).toBe("bad signature");
    expect(checkWebhookSignature(secret, { ...delivery, timestamp: String(now + 1) }, now)).toBe(
      "bad signature",
    );
    const foreign = `whsec_${randomBytes(24).toString("base64")}`;
    expect(checkWebhookSignature(foreign, delivery, now)).toBe("bad signature");
  });

  it("refuses stale or future timestamps and missing headers", () => {
    expect(checkWebhookSignature(secret, signed("evt_1", now - 301, body), now)).toBe("stale timestamp");
    expect(checkWebhookSignature(secret, signed("evt_1", now + 301, body), now)).toBe("stale timestamp");
    expect(checkWebhookSignature(secret, { ...signed("evt_1", now, body), signature: undefined }, now)).toBe(
      "missing headers",
    );
    expect(checkWebhookSignature(secret, { ...signed("evt_1", now, body), signature: "v2,abc" }, now)).toBe(
      "bad signature",
    );
  });
});
