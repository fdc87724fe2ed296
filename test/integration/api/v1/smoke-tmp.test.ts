import { afterAll, beforeAll, expect, it } from "vitest";
import { type MessagesHarness, startMessagesApi } from "./messages-harness.js";

let api: MessagesHarness;
beforeAll(async () => { api = await startMessagesApi(); });
afterAll(async () => { await api.close(); });

it("smoke", async () => {
  const c = await api.customer({ default_from: "ACME" });
  const r = await c.call("POST", "/v1/messages", { json: { to: "+44 7700 900123", text: "hello" }, headers: { "Idempotency-Key": "k1" } });
  console.log(r.status, [...r.headers.entries()], await r.text());
  const r2 = await c.call("POST", "/v1/messages", { json: { to: "+44 7700 900123", text: "hello" }, headers: { "Idempotency-Key": "k1" } });
  console.log(r2.status, [...r2.headers.entries()], (await r2.text()));
  expect(1).toBe(1);
});
