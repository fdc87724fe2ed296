/**
 * GET /v1/inbound, GET /v1/inbound/{id} and GET /admin/inbound over real HTTP, with inbound SMS stored
 * by the InboundProcessor the way the SMPP side stores them (PDUs handed to `handle`).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InboundProcessor } from "../../../src/core/inbound/processor.js";
import type { InboundMessage } from "../../../src/core/inbound/serialize.js";
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { deliverSm } from "../../helpers/deliver-sm.js";
import type { PageJson } from "../api/harness.js";
import { errorPaths } from "../api/harness.js";
import { type Customer, type MessagesHarness, startMessagesApi } from "../api/v1/messages-harness.js";

type AdminInbound = InboundMessage & { account_id: string | null; upstream_id: string };

let h: MessagesHarness;
let alice: Customer;
let bob: Customer;
let processor: InboundProcessor;
let upstreamId: string;
const UPSTREAM_NAME = "smsc-inbound-api";
const ALICE_1 = "+447700900111";
const ALICE_2 = "+447700900222";
const BOB = "+447700900333";
const NOBODY = "+447700900999";

function pdu(to: string, text: string, extra: Partial<InboundPdu> = {}): InboundPdu {
  const base = deliverSm({
    source_addr: "447700900456",
    destination_addr: to.replace("+", ""),
    short_message: Buffer.from(text, "latin1"),
  });
  return { ...base, ...extra } as InboundPdu;
}

async function receive(to: string, text: string, extra: Partial<InboundPdu> = {}): Promise<void> {
  expect(await processor.handle(upstreamId, pdu(to, text, extra))).toBe(CommandStatus.ESME_ROK);
}

async function json<T>(response: Response, status = 200): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

beforeAll(async () => {
  h = await startMessagesApi();
  alice = await h.customer();
  bob = await h.customer();
  for (const [number, owner] of [
    [ALICE_1, alice],
    [ALICE_2, alice],
    [BOB, bob],
  ] as const) {
    await json(
      await h.call("POST", "/admin/numbers", { json: { number, account_id: owner.accountId } }),
      201,
    );
  }
  const upstream = await json<{ id: string }>(
    await h.call("POST", "/admin/upstreams", {
      json: { name: UPSTREAM_NAME, host: "127.0.0.1", port: 2775, system_id: "bridge", password: "pw" },
    }),
    201,
  );
  upstreamId = upstream.id;
  processor = new InboundProcessor(h.database.db, { get: () => ({ config: { dcs0_charset: "gsm7" } }) });
  // Oldest first: a1 … a5 to Alice's two numbers, one to Bob, one to nobody.
  for (let i = 1; i <= 5; i++) await receive(i % 2 === 1 ? ALICE_1 : ALICE_2, `a${i}`);
  await receive(BOB, "for bob");
  await receive(NOBODY, "for nobody");
});
afterAll(async () => {
  await processor?.close();
  await h?.close();
});

describe("GET /v1/inbound", () => {
  test("the account's inbound SMS, newest first, paged by cursor", async () => {
    const texts: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = cursor === null ? "?limit=2" : `?limit=2&cursor=${cursor}`;
      const body: PageJson<InboundMessage> = await json(await alice.call("GET", `/v1/inbound${query}`));
      expect(body.data.length).toBeLessThanOrEqual(2);
      texts.push(...body.data.map((m) => m.text));
      cursor = body.next_cursor;
      if (cursor === null) break;
    }
    expect(texts).toEqual(["a5", "a4", "a3", "a2", "a1"]);
  });

  test("items have the InboundMessage shape", async () => {
    const body = await json<PageJson<InboundMessage>>(await alice.call("GET", "/v1/inbound?limit=1"));
    const [first] = body.data;
    expect(first).toEqual({
      id: expect.stringMatching(/^inb_[0-9a-z]{26}$/),
      from: "+447700900456",
      to: ALICE_1,
      text: "a5",
      encoding: "gsm7",
      segments: 1,
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      upstream: UPSTREAM_NAME,
      incomplete: false,
    });
    expect(body.next_cursor).not.toBeNull();
  });

  test("`to` filters, with or without +", async () => {
    for (const to of [ALICE_2, ALICE_2.slice(1), encodeURIComponent(ALICE_2)]) {
      const body = await json<PageJson<InboundMessage>>(await alice.call("GET", `/v1/inbound?to=${to}`));
      expect(body.data.map((m) => m.text)).toEqual(["a4", "a2"]);
    }
  });

  test("bad query values are 422 on their path", async () => {
    for (const [query, path] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=ten", "limit"],
      ["to=12", "to"],
      ["cursor=bm90LWFuLWlk", "cursor"],
    ]) {
      const response = await alice.call("GET", `/v1/inbound?${query}`);
      expect(response.status, query).toBe(422);
      expect(await errorPaths(response)).toEqual([path]);
    }
  });

  test("a concatenated SMS appears once, reassembled", async () => {
    const udh = (seq: number) => [0x05, 0x00, 0x03, 0x42, 0x02, seq];
    const part = (seq: number, text: string) =>
      pdu(BOB, "", {
        esm_class: 0x40,
        short_message: Buffer.from([...udh(seq), ...Buffer.from(text, "latin1")]),
      });
    expect(await processor.handle(upstreamId, part(2, "world"))).toBe(0);
    expect(await processor.handle(upstreamId, part(1, "hello "))).toBe(0);
    const body = await json<PageJson<InboundMessage>>(await bob.call("GET", "/v1/inbound"));
    expect(body.data.map((m) => [m.text, m.segments])).toEqual([
      ["hello world", 2],
      ["for bob", 1],
    ]);
  });

  test("an API key is required; the admin token is not one", async () => {
    expect((await h.call("GET", "/v1/inbound", { token: null })).status).toBe(401);
    expect((await h.call("GET", "/v1/inbound")).status).toBe(401);
    expect((await h.call("GET", "/v1/inbound", { token: "sk_not_a_key" })).status).toBe(401);
  });
});

describe("GET /v1/inbound/{id}", () => {
  test("the account's own message; another tenant's is 404 like a missing one", async () => {
    const [latest] = (await json<PageJson<InboundMessage>>(await alice.call("GET", "/v1/inbound?limit=1")))
      .data;
    if (latest === undefined) throw new Error("no message");
    expect(await json<InboundMessage>(await alice.call("GET", `/v1/inbound/${latest.id}`))).toEqual(latest);
    expect((await bob.call("GET", `/v1/inbound/${latest.id}`)).status).toBe(404);
    expect((await alice.call("GET", "/v1/inbound/inb_00000000000000000000000000")).status).toBe(404);
    expect((await h.call("GET", `/v1/inbound/${latest.id}`, { token: null })).status).toBe(401);
    const bobs = await json<PageJson<InboundMessage>>(await bob.call("GET", "/v1/inbound"));
    expect(bobs.data.some((m) => m.to !== BOB)).toBe(false);
  });
});

describe("short codes", () => {
  test("an SMS to a registered short code reaches its account, shown and filtered without a +", async () => {
    const carol = await h.customer();
    await json(
      await h.call("POST", "/admin/numbers", { json: { number: "88222", account_id: carol.accountId } }),
      201,
    );
    // A national sender (TON 2) to the short code (TON 3), as operators deliver "text JOIN to 88222".
    await receive("88222", "JOIN", { source_addr_ton: 2, source_addr: "07700900456", dest_addr_ton: 3 });
    const body = await json<PageJson<InboundMessage>>(await carol.call("GET", "/v1/inbound?to=88222"));
    expect(body.data).toEqual([expect.objectContaining({ to: "88222", from: "07700900456", text: "JOIN" })]);
  });
});

describe("GET /admin/inbound", () => {
  test("every inbound SMS with its account; ?unassigned=true only those to no known number", async () => {
    const all = await json<PageJson<AdminInbound>>(await h.call("GET", "/admin/inbound?limit=100"));
    expect(all.data.length).toBeGreaterThanOrEqual(7);
    const nobody = all.data.find((m) => m.to === NOBODY);
    expect(nobody).toMatchObject({ account_id: null, text: "for nobody", upstream_id: upstreamId });
    expect(all.data.find((m) => m.text === "for bob")?.account_id).toBe(bob.accountId);

    const unassigned = await json<PageJson<AdminInbound>>(
      await h.call("GET", "/admin/inbound?unassigned=true"),
    );
    expect(unassigned.data.map((m) => m.text)).toEqual(["for nobody"]);
    const bobs = await json<PageJson<AdminInbound>>(
      await h.call("GET", `/admin/inbound?account_id=${bob.accountId}`),
    );
    expect(bobs.data.every((m) => m.account_id === bob.accountId)).toBe(true);
    expect(bobs.data.length).toBeGreaterThanOrEqual(1);
  });

  test("pages by cursor and validates its query", async () => {
    const first = await json<PageJson<AdminInbound>>(await h.call("GET", "/admin/inbound?limit=3"));
    expect(first.data).toHaveLength(3);
    if (first.next_cursor === null) throw new Error("expected another page");
    const second = await json<PageJson<AdminInbound>>(
      await h.call("GET", `/admin/inbound?limit=3&cursor=${first.next_cursor}`),
    );
    const firstIds = new Set(first.data.map((m) => m.id));
    expect(second.data.some((m) => firstIds.has(m.id))).toBe(false);
    expect(second.data.every((m) => m.id < (first.data[2]?.id ?? ""))).toBe(true);
    expect((await h.call("GET", "/admin/inbound?unassigned=maybe")).status).toBe(422);
    expect((await h.call("GET", "/admin/inbound?limit=0")).status).toBe(422);
  });

  test("needs the admin token, not an API key", async () => {
    expect((await alice.call("GET", "/admin/inbound")).status).toBe(401);
    expect((await h.call("GET", "/admin/inbound", { token: null })).status).toBe(401);
  });
});
