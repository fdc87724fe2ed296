import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../../src/db/schema.js";
import { errorPaths } from "../harness.js";
import { type Customer, type MessagesHarness, startMessagesApi } from "./messages-harness.js";

interface Preview {
  encoding: string;
  segments: number;
  characters: number;
  parts: { index: number; text: string; units: number }[];
}

let api: MessagesHarness;
let acme: Customer;

beforeAll(async () => {
  api = await startMessagesApi();
  acme = await api.customer();
});
afterAll(() => api?.close());

async function preview(body: Record<string, unknown>): Promise<Preview> {
  const response = await acme.call("POST", "/v1/messages/preview", { json: body });
  expect(response.status).toBe(200);
  return response.json<Preview>();
}

/** [segments, units of each part] */
const shape = (p: Preview) => [p.segments, p.parts.map((part) => part.units)];

describe("POST /v1/messages/preview", () => {
  it("GSM 03.38: 160 characters in one SMS, 153 a segment beyond", async () => {
    expect(shape(await preview({ text: "a".repeat(160) }))).toEqual([1, [160]]);
    const long = await preview({ text: "a".repeat(161) });
    expect(long).toMatchObject({ encoding: "gsm7", characters: 161 });
    expect(shape(long)).toEqual([2, [153, 8]]);
    expect(long.parts.map((p) => p.index)).toEqual([1, 2]);
    expect(long.parts.map((p) => p.text).join("")).toBe("a".repeat(161));
    expect(shape(await preview({ text: "a".repeat(306) }))).toEqual([2, [153, 153]]);
    expect(shape(await preview({ text: "a".repeat(307) }))).toEqual([3, [153, 153, 1]]);
  });

  it("extension characters take two septets and are never split from their escape", async () => {
    const euros = await preview({ text: "€".repeat(80) });
    expect(euros).toMatchObject({ encoding: "gsm7", characters: 80 });
    expect(shape(euros)).toEqual([1, [160]]);
    expect(shape(await preview({ text: "€".repeat(81) }))).toEqual([2, [152, 10]]);
    // 152 septets then a 2-septet character: it moves whole to the next segment.
    const edge = await preview({ text: `${"a".repeat(152)}{${"b".repeat(10)}` });
    expect(shape(edge)).toEqual([2, [152, 12]]);
    expect(edge.parts[1]?.text.startsWith("{")).toBe(true);
  });

  it("UCS-2: 70 UTF-16 units in one SMS, 67 a segment beyond", async () => {
    const one = await preview({ text: "й".repeat(70) });
    expect(one).toMatchObject({ encoding: "ucs2", characters: 70 });
    expect(shape(one)).toEqual([1, [70]]);
    expect(shape(await preview({ text: "й".repeat(71) }))).toEqual([2, [67, 4]]);
    // One non-GSM character turns a whole GSM text into UCS-2.
    expect((await preview({ text: `${"a".repeat(100)}✓` })).encoding).toBe("ucs2");
  });

  it("counts an emoji as one character and two units, and never splits its surrogate pair", async () => {
    const fits = await preview({ text: "😀".repeat(35) });
    expect(fits).toMatchObject({ encoding: "ucs2", characters: 35 });
    expect(shape(fits)).toEqual([1, [70]]);
    const split = await preview({ text: "😀".repeat(36) });
    expect(split.characters).toBe(36);
    expect(shape(split)).toEqual([2, [66, 6]]);
    expect(split.parts[0]?.text).toBe("😀".repeat(33));
  });

  it("Latin-1 when asked: 140 octets in one SMS, 134 a segment beyond", async () => {
    expect(await preview({ text: "é".repeat(140), encoding: "latin1" })).toMatchObject({
      encoding: "latin1",
      segments: 1,
    });
    expect(shape(await preview({ text: "é".repeat(141), encoding: "latin1" }))).toEqual([2, [134, 7]]);
  });

  it("takes a whole send body (to is optional) and stores nothing", async () => {
    const before = await api.database.db.select({ id: messages.id }).from(messages);
    const result = await preview({ to: "+447700900123", from: "ACME", text: "Hi", client_reference: "x" });
    expect(result).toEqual({
      encoding: "gsm7",
      segments: 1,
      characters: 2,
      parts: [{ index: 1, text: "Hi", units: 2 }],
    });
    const after = await api.database.db.select({ id: messages.id }).from(messages);
    expect(after).toHaveLength(before.length);
    expect(api.sink.calls).toHaveLength(0);
  });

  it("refuses what a send would refuse in the text, naming the first offending character", async () => {
    const response = await acme.call("POST", "/v1/messages/preview", {
      json: { text: "ok 🙂", encoding: "gsm7" },
    });
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(["text"]);
    const empty = await acme.call("POST", "/v1/messages/preview", { json: { text: "" } });
    expect(empty.status).toBe(422);
    const tooLong = await acme.call("POST", "/v1/messages/preview", { json: { text: "a".repeat(1601) } });
    expect(tooLong.status).toBe(422);
    const noText = await acme.call("POST", "/v1/messages/preview", { json: { to: "+447700900123" } });
    expect(await errorPaths(noText)).toEqual(["text"]);
  });
});
