import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES } from "../../../../src/api/app.js";
import { messageParts, messages } from "../../../../src/db/schema.js";
import { errorPaths, problemOf, type TestResponse } from "../harness.js";
import {
  type Customer,
  INSTANCE_ID,
  LEASE_MS,
  type MessageJson,
  type MessagesHarness,
  startMessagesApi,
} from "./messages-harness.js";

let api: MessagesHarness;
let acme: Customer;
/** An account without default_from. */
let bare: Customer;

beforeAll(async () => {
  api = await startMessagesApi();
  acme = await api.customer({ default_from: "ACME" });
  bare = await api.customer();
});
afterAll(() => api?.close());

async function storedCount(accountId: string): Promise<number> {
  const rows = await api.database.db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.accountId, accountId));
  return rows.length;
}

async function storedMessage(id: string) {
  const [row] = await api.database.db.select().from(messages).where(eq(messages.id, id));
  const parts = await api.database.db
    .select()
    .from(messageParts)
    .where(eq(messageParts.messageId, id))
    .orderBy(asc(messageParts.index));
  return { row, parts };
}

describe("POST /v1/messages", () => {
  it("answers 202 with the message as committed, and hands it to this instance's dispatcher leased", async () => {
    const before = Date.now();
    const response = await acme.send({ to: "+44 7700-900123", text: "hello", client_reference: "order-1" });
    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = await response.json<MessageJson>();
    expect(body).toMatchObject({
      status: "queued",
      to: "+447700900123",
      from: "ACME",
      text: "hello",
      encoding: "gsm7",
      segments: 1,
      client_reference: "order-1",
      send_at: null,
      submitted_at: null,
      done_at: null,
      upstream: null,
      error: null,
      parts: [
        {
          index: 1,
          smsc_message_id: null,
          status: "pending",
          submitted_at: null,
          done_at: null,
          dlr_stat: null,
          dlr_err: null,
        },
      ],
    });
    expect(body.id).toMatch(/^msg_[0-9a-z]{26}$/);

    // Committed before the 202: the row is there, exactly as the body says.
    const { row, parts } = await storedMessage(body.id);
    expect(row).toMatchObject({
      status: "queued",
      to: "+447700900123",
      from: "ACME",
      dataCoding: 0,
      deliveryReport: true,
      leaseOwner: INSTANCE_ID,
      concatRef: null,
    });
    expect(row?.createdAt.toISOString()).toBe(body.created_at);
    expect(row?.leaseExpiresAt?.getTime()).toBe((row?.createdAt.getTime() ?? 0) + LEASE_MS);
    // Not due for any poller while the lease holds it for this instance's dispatcher.
    expect(row?.nextAttemptAt?.getTime()).toBe(row?.leaseExpiresAt?.getTime());
    expect(row?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(parts.map((p) => [p.index, p.text, p.status])).toEqual([[1, "hello", "pending"]]);

    const handed = api.sink.messages.find((m) => m.message.id === body.id);
    expect(handed?.message.leaseOwner).toBe(INSTANCE_ID);
    expect(handed?.parts.map((p) => p.text)).toEqual(["hello"]);
  });

  it("stores a long text as parts with one concatenation reference, in UCS-2 when a character needs it", async () => {
    const text = `${"é😀".repeat(70)}!`; // 141 code points, 211 UTF-16 units: 4 segments of ≤ 67 units
    const response = await acme.send({
      to: "447700900124",
      text,
      validity_period: 3600,
      delivery_report: false,
    });
    expect(response.status).toBe(202);
    const body = await response.json<MessageJson>();
    expect(body).toMatchObject({ encoding: "ucs2", segments: 4, to: "+447700900124" });
    const { row, parts } = await storedMessage(body.id);
    expect(row?.dataCoding).toBe(8);
    expect(row?.deliveryReport).toBe(false);
    expect(row?.validityPeriod).toBe(3600);
    expect(row?.expiresAt?.getTime()).toBe((row?.createdAt.getTime() ?? 0) + 3_600_000);
    expect(row?.concatRef).toEqual(expect.any(Number));
    expect(parts.map((p) => p.text).join("")).toBe(text);
    // A surrogate pair is never split across parts.
    for (const part of parts) expect(part.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });

  it("schedules a message with send_at in the future: stored unleased, not handed over", async () => {
    const sendAt = new Date(Date.now() + 3_600_000);
    const response = await acme.send({ to: "+447700900125", text: "later", send_at: sendAt.toISOString() });
    expect(response.status).toBe(202);
    const body = await response.json<MessageJson>();
    expect(body.status).toBe("scheduled");
    expect(body.send_at).toBe(sendAt.toISOString());
    const { row } = await storedMessage(body.id);
    expect(row).toMatchObject({ status: "scheduled", leaseOwner: null, leaseExpiresAt: null });
    expect(row?.nextAttemptAt?.toISOString()).toBe(sendAt.toISOString());
    expect(api.sink.messages.some((m) => m.message.id === body.id)).toBe(false);
  });

  it("takes a send_at a few seconds in the past (client clock skew) as now", async () => {
    const response = await acme.send({
      to: "+447700900126",
      text: "now",
      send_at: new Date(Date.now() - 5000).toISOString(),
    });
    expect(response.status).toBe(202);
    expect((await response.json<MessageJson>()).status).toBe("queued");
  });

  it.each([
    ["ACME", "ACME"],
    ["Acme Ltd", "Acme Ltd"],
    ["12345", "12345"],
    ["+44 7700 900999", "+447700900999"],
    ["447700900999", "+447700900999"],
  ])("stores the sender %j as %j", async (from, stored) => {
    const response = await bare.send({ to: "+447700900127", text: "x", from });
    expect(response.status).toBe(202);
    expect((await response.json<MessageJson>()).from).toBe(stored);
  });

  it("still answers 202 when this instance's dispatcher refuses the hand-over: the row is committed for the poller", async () => {
    const enqueue = api.sink.enqueue;
    api.sink.enqueue = () => {
      throw new Error("dispatcher stopped");
    };
    let response: TestResponse;
    try {
      response = await acme.send({ to: "+447700900129", text: "stored anyway" });
    } finally {
      api.sink.enqueue = enqueue;
    }
    expect(response.status).toBe(202);
    const { row } = await storedMessage((await response.json<MessageJson>()).id);
    // Leased to this instance: its lease runs out and any poller sends it.
    expect(row).toMatchObject({ status: "queued", leaseOwner: INSTANCE_ID });
    expect(api.logs.some((line) => line.msg === "the dispatcher refused accepted messages")).toBe(true);
  });

  it("accepts an http(s) status_callback_url and stores it", async () => {
    const response = await acme.send({
      to: "+447700900128",
      text: "x",
      status_callback_url: "https://example.com/cb?x=1",
    });
    expect(response.status).toBe(202);
    const { row } = await storedMessage((await response.json<MessageJson>()).id);
    expect(row?.statusCallbackUrl).toBe("https://example.com/cb?x=1");
  });
});

describe("POST /v1/messages validation (422 problem+json naming each field)", () => {
  const valid = { to: "+447700900123", text: "hi" };

  it.each<[string, Record<string, unknown>, string[]]>([
    ["letters in the number", { ...valid, to: "+44 77OO 900123" }, ["to"]],
    ["5 digits", { ...valid, to: "12345" }, ["to"]],
    ["16 digits", { ...valid, to: "+1234567890123456" }, ["to"]],
    ["no to", { text: "hi" }, ["to"]],
    ["to of the wrong type", { ...valid, to: 447700900123 }, ["to"]],
    ["an empty from", { ...valid, from: " " }, ["from"]],
    ["a 12-character alphanumeric sender", { ...valid, from: "ABCDEFGHIJKL" }, ["from"]],
    [
      "an alphanumeric sender over 11 septets with extension characters",
      { ...valid, from: "ACME€€€€" },
      ["from"],
    ],
    ["a sender with a non-GSM character", { ...valid, from: "Café✓" }, ["from"]],
    ["a numeric sender of 2 digits", { ...valid, from: "12" }, ["from"]],
    ["a numeric sender of 16 digits", { ...valid, from: "1234567890123456" }, ["from"]],
    ["empty text", { ...valid, text: "" }, ["text"]],
    ["1601 characters", { ...valid, text: "a".repeat(1601) }, ["text"]],
    ["an unknown encoding", { ...valid, encoding: "utf8" }, ["encoding"]],
    ["validity_period 59", { ...valid, validity_period: 59 }, ["validity_period"]],
    ["validity_period 604801", { ...valid, validity_period: 604_801 }, ["validity_period"]],
    ["validity_period 60.5", { ...valid, validity_period: 60.5 }, ["validity_period"]],
    [
      "send_at an hour ago",
      { ...valid, send_at: new Date(Date.now() - 3_600_000).toISOString() },
      ["send_at"],
    ],
    ["send_at without a zone", { ...valid, send_at: "2030-01-01T12:00:00" }, ["send_at"]],
    [
      "a ftp status_callback_url",
      { ...valid, status_callback_url: "ftp://example.com/x" },
      ["status_callback_url"],
    ],
    [
      "a status_callback_url that is no URL",
      { ...valid, status_callback_url: "example" },
      ["status_callback_url"],
    ],
    // Private targets (WEBHOOK_ALLOW_PRIVATE is off): refused now rather than dropped at every delivery.
    ...[
      "http://127.0.0.1:9000/cb",
      "http://2130706433/",
      "http://[::1]/",
      "http://10.0.0.1/",
      "http://169.254.169.254/",
      "http://localhost:8080/",
      "http://api.localhost./x",
    ].map((url): [string, Record<string, unknown>, string[]] => [
      `a status_callback_url of ${url}`,
      { ...valid, status_callback_url: url },
      ["status_callback_url"],
    ]),
    ["a 65-character client_reference", { ...valid, client_reference: "r".repeat(65) }, ["client_reference"]],
    ["delivery_report as a string", { ...valid, delivery_report: "yes" }, ["delivery_report"]],
    ["an unknown field", { ...valid, priority: 1 }, ["priority"]],
    ["several bad fields", { to: "x", text: "", validity_period: 1 }, ["text", "to", "validity_period"]],
  ])("refuses %s", async (_name, body, paths) => {
    const before = await storedCount(acme.accountId);
    const response = await acme.send(body);
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(paths);
    expect(await storedCount(acme.accountId)).toBe(before);
  });

  it("needs a from when the account has no default sender", async () => {
    const response = await bare.send(valid);
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([{ path: "from", message: expect.stringMatching(/default sender/) }]);
  });

  it("uses an account's new default sender from the next send after the admin changes it", async () => {
    const account = await api.customer();
    expect((await account.send(valid)).status).toBe(422); // no default yet (and now cached)
    const patch = await api.call("PATCH", `/admin/accounts/${account.accountId}`, {
      json: { default_from: "NEWCO" },
    });
    expect(patch.status).toBe(200);
    const response = await account.send(valid);
    expect(response.status).toBe(202);
    expect((await response.json<MessageJson>()).from).toBe("NEWCO");
  });

  it("names the first character an explicit encoding cannot carry", async () => {
    const gsm = await acme.send({ ...valid, text: "Hi 😀 and ✓", encoding: "gsm7" });
    expect(gsm.status).toBe(422);
    const problem = await problemOf(gsm);
    expect(problem.type).toBe("urn:smpp-bridge:problem:validation-failed");
    expect(problem.errors).toEqual([
      { path: "text", message: expect.stringContaining('"😀" (U+1F600) at position 3') },
    ]);

    const latin = await acme.send({ ...valid, text: "price: 5€", encoding: "latin1" });
    expect(latin.status).toBe(422);
    expect((await problemOf(latin)).errors?.[0]?.message).toContain('"€" (U+20AC) at position 8');
  });

  it("refuses a lone UTF-16 surrogate or NUL (valid JSON, not storable) with 422, not a failed commit", async () => {
    const before = await storedCount(acme.accountId);
    // Written by hand: JSON.stringify would escape it the same way, but the point is the escape.
    const body = '{"to": "+447700900123", "text": "Hi \\ud83d!", "client_reference": "ok \\ud83d\\ude00"}';
    const response = await acme.call("POST", "/v1/messages", {
      body,
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(422);
    expect((await problemOf(response)).errors).toEqual([
      { path: "text", message: "Lone UTF-16 surrogate U+D83D at position 3 is not a Unicode character" },
    ]);
    const batch = await acme.call("POST", "/v1/messages/batch", {
      json: { messages: [{ ...valid }, { ...valid, client_reference: "x\udc00" }] },
    });
    expect(batch.status).toBe(422);
    expect(await errorPaths(batch)).toEqual(["messages.1.client_reference"]);
    for (const [method, path] of [
      ["GET", "/v1/messages/msg_%00"],
      ["DELETE", "/v1/messages/msg_%00"],
      ["GET", "/v1/messages?client_reference=%00"],
      ["GET", "/v1/inbound/inb_%00"],
    ] as const) {
      const response = await acme.call(method, path);
      expect(response.status, `${method} ${path}`).toBe(422);
    }
    const nul = await acme.send({ ...valid, text: "a\u0000b" });
    expect(nul.status).toBe(422);
    expect((await problemOf(nul)).errors).toEqual([
      { path: "text", message: "NUL (U+0000) at position 1 is not allowed" },
    ]);
    expect(await storedCount(acme.accountId)).toBe(before);
  });

  it("answers 400 for malformed JSON and 415 for a body that is not JSON", async () => {
    const malformed = await acme.call("POST", "/v1/messages", {
      body: '{"to": "+447700900123",',
      headers: { "Content-Type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect((await problemOf(malformed)).status).toBe(400);
    const text = await acme.call("POST", "/v1/messages", {
      body: "to=+447700900123",
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
  });
});

describe("POST /v1/messages/batch", () => {
  const item = (i: number, extra: Record<string, unknown> = {}) => ({
    to: `+4477009${String(10_000 + i).padStart(5, "0")}`,
    text: `batch ${i}`,
    ...extra,
  });

  it("accepts every message in one go and answers in request order", async () => {
    const requests = Array.from({ length: 25 }, (_, i) =>
      item(i, i === 3 ? { send_at: "2099-01-01T00:00:00Z" } : {}),
    );
    const response = await acme.call("POST", "/v1/messages/batch", { json: { messages: requests } });
    expect(response.status).toBe(202);
    const { data } = await response.json<{ data: MessageJson[] }>();
    expect(data.map((m) => m.to)).toEqual(requests.map((r) => r.to));
    expect(data.map((m) => m.text)).toEqual(requests.map((r) => r.text));
    expect(data[3]?.status).toBe("scheduled");
    expect(new Set(data.map((m) => m.id)).size).toBe(25);
    const stored = await Promise.all(data.map((m) => storedMessage(m.id)));
    expect(stored.every((s) => s.row !== undefined && s.parts.length === 1)).toBe(true);
  });

  it("accepts none when one item is invalid, naming messages.<index>.<field>", async () => {
    const before = await storedCount(acme.accountId);
    const requests = Array.from({ length: 10 }, (_, i) => item(i));
    requests[7] = item(7, { to: "12" });
    requests[2] = item(2, { text: "😀", encoding: "gsm7" });
    const response = await acme.call("POST", "/v1/messages/batch", { json: { messages: requests } });
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(["messages.2.text", "messages.7.to"]);
    expect(await storedCount(acme.accountId)).toBe(before);
  });

  it("names schema failures of an item with the same paths", async () => {
    const response = await acme.call("POST", "/v1/messages/batch", {
      json: { messages: [item(0), { ...item(1), validity_period: "10" }, { text: "x" }] },
    });
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(["messages.1.validity_period", "messages.2.to"]);
  });

  it("takes 1 to 1000 messages", async () => {
    const empty = await acme.call("POST", "/v1/messages/batch", { json: { messages: [] } });
    expect(empty.status).toBe(422);
    expect(await errorPaths(empty)).toEqual(["messages"]);
    const tooMany = await acme.call("POST", "/v1/messages/batch", {
      json: { messages: Array.from({ length: 1001 }, (_, i) => item(i)) },
    });
    expect(tooMany.status).toBe(422);
    expect(await errorPaths(tooMany)).toEqual(["messages"]);

    const full = await acme.call("POST", "/v1/messages/batch", {
      json: { messages: Array.from({ length: 1000 }, (_, i) => item(i)) },
    });
    expect(full.status).toBe(202);
    expect((await full.json<{ data: MessageJson[] }>()).data).toHaveLength(1000);
  });

  it("reads a batch body past the 2 MiB of other requests, up to 16 MiB, once the key is checked", async () => {
    // 300 texts of 1,600 characters written as JSON escapes: 2.9 MB, every item valid.
    const escaped = "\\u0041".repeat(1600);
    const items = Array.from({ length: 300 }, (_, i) => `{"to":"${item(i).to}","text":"${escaped}"}`);
    const body = `{"messages":[${items.join(",")}]}`;
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES);
    const json = { "Content-Type": "application/json" };
    const large = await acme.call("POST", "/v1/messages/batch", { body, headers: json });
    expect(large.status).toBe(202);
    const { data } = await large.json<{ data: MessageJson[] }>();
    expect(data).toHaveLength(300);
    expect(data[0]?.text).toBe("A".repeat(1600));

    const stranger = await api.call("POST", "/v1/messages/batch", {
      body,
      headers: json,
      token: "sk_live_nobody",
    });
    expect(stranger.status).toBe(401);
    const huge = await acme.call("POST", "/v1/messages/batch", {
      body: `{"messages":[{"to":"+447700900123","text":"${"x".repeat(MAX_BATCH_BODY_BYTES)}"}]}`,
      headers: json,
    });
    expect(huge.status).toBe(413);
    expect((await problemOf(huge)).detail).toContain(String(MAX_BATCH_BODY_BYTES));
  });
});
