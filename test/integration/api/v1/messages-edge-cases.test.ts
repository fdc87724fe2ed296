/**
 * Edges of the customer messages API, through real HTTP on a real database: what a 202 must never be
 * given to (a national or `+0` number, a sender submit_sm's source_addr cannot carry, a send_at whose
 * expiry the database cannot store), and a message already partly at an SMSC, which cannot be canceled.
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLeased } from "../../../../src/core/dispatch/claim.js";
import { DEFAULT_RETRY_POLICY, writeMessages, writeParts } from "../../../../src/core/results/statements.js";
import { planSubmits, type SubmitSettings } from "../../../../src/core/submit/build.js";
import { messageParts, messages } from "../../../../src/db/schema.js";
import { emptyPdu, encodePdu } from "../../../../src/smpp/codec.js";
import { type PageJson, problemOf } from "../harness.js";
import {
  type Customer,
  INSTANCE_ID,
  type MessageJson,
  type MessagesHarness,
  startMessagesApi,
} from "./messages-harness.js";

let api: MessagesHarness;
let acme: Customer;

beforeAll(async () => {
  api = await startMessagesApi();
  acme = await api.customer({ default_from: "ACME" });
});
afterAll(() => api?.close());

async function accepted(body: Record<string, unknown>): Promise<MessageJson> {
  const response = await acme.send(body);
  expect(response.status).toBe(202);
  return response.json<MessageJson>();
}

/** An upstream with every submit setting at its default. */
const UPSTREAM_DEFAULTS: SubmitSettings = {
  source_ton: null,
  source_npi: null,
  dest_ton: null,
  dest_npi: null,
  dcs0_charset: "gsm7",
  long_message_mode: "udh8",
};

/** Encodes every submit_sm the dispatcher would send for a stored message (throws when one cannot be). */
async function encodeSubmits(id: string): Promise<number> {
  const [row] = await api.database.db.select().from(messages).where(eq(messages.id, id));
  if (row === undefined) throw new Error(`no message ${id}`);
  const parts = await api.database.db.select().from(messageParts).where(eq(messageParts.messageId, id));
  const plan = planSubmits(row, parts, UPSTREAM_DEFAULTS, new Date());
  for (const part of plan.send) encodePdu({ ...emptyPdu("submit_sm", 1), ...part.body });
  return plan.send.length;
}

describe("numbers are international: 00 stands for +, a leading 0 is refused", () => {
  it("reads 0044… as +44… for to, from and the list filter", async () => {
    const message = await accepted({ to: "0044 7700 900401", from: "0044 7700 900999", text: "hi" });
    expect(message).toMatchObject({ to: "+447700900401", from: "+447700900999" });
    const listed = await acme.call("GET", "/v1/messages?to=0044%207700%20900401");
    expect(listed.status).toBe(200);
    expect((await listed.json<PageJson<MessageJson>>()).data.map((m) => m.id)).toEqual([message.id]);
  });

  it.each([
    ["a national to", { to: "07700 900401" }, "to"],
    ["a to with + and 0", { to: "+0123456789" }, "to"],
    ["a national sender number", { to: "+447700900401", from: "07700900999" }, "from"],
  ])("refuses %s with 422 naming the field", async (_name, fields, path) => {
    const response = await acme.send({ text: "hi", ...fields });
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([{ path, message: expect.stringMatching(/country code/) }]);
  });

  it("keeps short codes that start with 0", async () => {
    expect((await accepted({ to: "+447700900401", from: "0800", text: "hi" })).from).toBe("0800");
  });
});

describe("alphanumeric senders are accepted only when submit_sm can carry them", () => {
  it.each([
    ["ABCDEFGHI€", "€", 9], // 11 septets: fits TP-OA, not source_addr
    ["ΔShop", "Δ", 0],
    ["AC\nME", "\n", 2],
  ])("refuses %j with 422 on from, naming the character", async (from, character, index) => {
    const response = await acme.send({ to: "+447700900402", from, text: "hi" });
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      { path: "from", message: expect.stringContaining(`${JSON.stringify(character)} (at index ${index})`) },
    ]);
  });

  it.each(["Café", "ABCDEFGHIJK", "AC[ME]", "£5 Off"])(
    "accepts %j, and its submit_sm encodes",
    async (from) => {
      const message = await accepted({ to: "+447700900402", from, text: "hi" });
      expect(await encodeSubmits(message.id)).toBe(1);
    },
  );
});

describe("DELETE /v1/messages/{id} of a message partly at the SMSC", () => {
  it("answers 409 for a message queued for a retry after an SMSC accepted one of its parts", async () => {
    const message = await accepted({ to: "+447700900403", text: "x".repeat(200) });
    expect(message.segments).toBe(2);
    const db = api.database.db;
    // The dispatcher's own statements: start the handed-over message, part 1 accepted, part 2 to retry.
    expect(await startLeased(db, INSTANCE_ID, [message.id])).toHaveLength(1);
    const stored = await db
      .select()
      .from(messageParts)
      .where(eq(messageParts.messageId, message.id))
      .orderBy(asc(messageParts.index));
    await writeParts(
      db,
      stored.map((part) => ({
        messageId: message.id,
        index: part.index,
        text: part.text,
        shortMessage: Buffer.from(part.text),
        esmClass: 0x40,
        dataCoding: 0,
        status: part.index === 1 ? "sent" : "pending",
        upstreamId: "ups_test",
        smscMessageId: part.index === 1 ? "smsc-1" : null,
        smscIdKey: part.index === 1 ? "smsc-1" : null,
        commandStatus: part.index === 1 ? 0 : 0x58,
        sentAt: part.index === 1 ? new Date() : null,
      })),
      [],
    );
    const [retried] = await writeMessages(
      db,
      [
        {
          id: message.id,
          kind: "retry",
          errorCode: null,
          errorMessage: "ESME_RTHROTTLED",
          smppStatus: 0x58,
          upstreamId: "ups_test",
          refund: false,
        },
      ],
      DEFAULT_RETRY_POLICY,
    );
    expect(retried?.status).toBe("queued");

    const response = await acme.call("DELETE", `/v1/messages/${message.id}`);
    expect(response.status).toBe(409);
    expect((await problemOf(response)).detail).toMatch(/already accepted part of it/);
    const [row] = await db.select().from(messages).where(eq(messages.id, message.id));
    expect(row?.status).toBe("queued");
  });

  it("still cancels a message queued for a retry when no part reached the SMSC", async () => {
    const message = await accepted({ to: "+447700900404", text: "retry me" });
    const db = api.database.db;
    await startLeased(db, INSTANCE_ID, [message.id]);
    await writeMessages(
      db,
      [
        {
          id: message.id,
          kind: "retry",
          errorCode: null,
          errorMessage: "no session",
          smppStatus: null,
          upstreamId: null,
          refund: true,
        },
      ],
      DEFAULT_RETRY_POLICY,
    );
    const response = await acme.call("DELETE", `/v1/messages/${message.id}`);
    expect(response.status).toBe(200);
    expect((await response.json<MessageJson>()).status).toBe("canceled");
  });
});

describe("send_at far in the future", () => {
  it("refuses with 422 on send_at (not 503) when send_at plus validity_period passes year 9999", async () => {
    const response = await acme.send({
      to: "+447700900405",
      text: "hi",
      send_at: "9999-12-31T23:59:59Z",
      validity_period: 604_800,
    });
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([{ path: "send_at", message: expect.stringMatching(/year 9999/) }]);
  });

  it("accepts the latest send_at with room for its validity, scheduled", async () => {
    const message = await accepted({
      to: "+447700900405",
      text: "hi",
      send_at: "9999-12-24T23:59:59Z",
      validity_period: 604_800,
    });
    expect(message).toMatchObject({ status: "scheduled", send_at: "9999-12-24T23:59:59.000Z" });
  });
});

describe("an alphanumeric sender that starts with +", () => {
  it("is sent as the alphanumeric sender it is (TON 5), not as a number", async () => {
    const message = await accepted({ to: "+447700900406", from: "+ACME", text: "hi" });
    expect(message.from).toBe("+ACME");
    const [row] = await api.database.db.select().from(messages).where(eq(messages.id, message.id));
    if (row === undefined) throw new Error("not stored");
    const parts = await api.database.db
      .select()
      .from(messageParts)
      .where(eq(messageParts.messageId, message.id));
    const [submit] = planSubmits(row, parts, UPSTREAM_DEFAULTS, new Date()).send;
    expect(submit?.body).toMatchObject({ source_addr_ton: 5, source_addr_npi: 0, source_addr: "+ACME" });
  });
});
