/** Accept → dispatcher → simulator → receipt → delivered, on a real database and a real SMSC simulator. */
import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MessageJson } from "../../../src/core/messages/serialize.js";
import { events, webhookDeliveries, webhookEndpoints } from "../../../src/db/schema.js";
import { parseUdh } from "../../../src/smpp/text/index.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.close();
});

describe("dispatch end to end", () => {
  test("a GSM message is submitted with the right fields and ends delivered with its part", async () => {
    const before = p.sim.submits.list().length;
    const accepted = await p.send({ text: "Hello from the bridge", validity_period: 3600 });
    expect(accepted.status).toBe("queued");
    const done = await p.waitFor(accepted.id, ["delivered"]);

    const submits = p.sim.submits.list().slice(before);
    expect(submits).toHaveLength(1);
    const s = submits[0];
    expect(s?.text).toBe("Hello from the bridge");
    expect(s?.source).toBe("ACME");
    expect(s?.destination).toBe("447700900123");
    expect(s?.dataCoding).toBe(0);
    expect((s?.esmClass ?? -1) & 0x40).toBe(0);
    expect(s?.registeredDelivery).toBe(1);

    expect(done.upstream).toBe("sim");
    expect(done.error).toBeNull();
    expect(done.submitted_at).not.toBeNull();
    expect(done.done_at).not.toBeNull();
    expect(done.parts).toHaveLength(1);
    const part = done.parts[0];
    expect(part?.smsc_message_id).toBe(s?.messageId);
    expect(part?.status).toBe("delivered");
    expect(part?.dlr_stat).toBe("DELIVRD");
    expect(part?.submitted_at).not.toBeNull();
    expect(part?.done_at).not.toBeNull();
  });

  test("UCS-2 with an emoji arrives as data_coding 8 with the surrogate pair whole", async () => {
    const before = p.sim.submits.list().length;
    const text = "Grüße 👋 from Zürich";
    const accepted = await p.send({ text });
    expect(accepted.encoding).toBe("ucs2");
    const done = await p.waitFor(accepted.id, ["delivered"]);
    const submits = p.sim.submits.list().slice(before);
    expect(submits).toHaveLength(1);
    expect(submits[0]?.dataCoding).toBe(8);
    expect(submits[0]?.text).toBe(text);
    expect(done.parts[0]?.status).toBe("delivered");
  });

  test("a 5-part message arrives with one consistent UDH reference and completes on 5 receipts", async () => {
    const before = p.sim.submits.list().length;
    const text = Array.from({ length: 5 }, (_, i) => `${String(i + 1).repeat(3)} ${"x".repeat(145)}`).join(
      "",
    );
    const accepted = await p.send({ text });
    expect(accepted.segments).toBe(5);
    const done = await p.waitFor(accepted.id, ["delivered"]);

    const submits = p.sim.submits.list().slice(before);
    expect(submits).toHaveLength(5);
    const concat = submits.map((s) => s.concat);
    const refs = new Set(concat.map((c) => c?.ref));
    expect(refs.size).toBe(1);
    expect(concat.map((c) => c?.total)).toEqual([5, 5, 5, 5, 5]);
    expect(concat.map((c) => c?.seq).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const s of submits) {
      expect(s.esmClass & 0x40).toBe(0x40);
      expect(s.concat?.scheme).toBe("udh8");
      expect(parseUdh(s.payload).concat?.total).toBe(5);
    }
    const bySeq = [...submits].sort((a, b) => (a.concat?.seq ?? 0) - (b.concat?.seq ?? 0));
    expect(bySeq.map((s) => s.text).join("")).toBe(text);

    expect(done.parts.map((x) => x.status)).toEqual(Array(5).fill("delivered"));
    const ids = new Set(done.parts.map((x) => x.smsc_message_id));
    expect(ids.size).toBe(5);
    expect([...ids].sort()).toEqual(submits.map((s) => s.messageId).sort());
  });

  test("message.sent then message.delivered are in the outbox with the Message as the API renders it", async () => {
    const accepted = await p.send({ text: "events please", client_reference: "ref-42" });
    const done = await p.waitFor(accepted.id, ["delivered"]);
    const rows = await p.database.db
      .select()
      .from(events)
      .where(eq(events.accountId, p.accountId))
      .orderBy(asc(events.id));
    const mine = rows.filter((e) => (e.payload as MessageJson).id === accepted.id);
    expect(mine.map((e) => e.type)).toEqual(["message.sent", "message.delivered"]);
    const sent = mine[0]?.payload as MessageJson;
    const delivered = mine[1]?.payload as MessageJson;
    expect(sent.status).toBe("sent");
    expect(sent.client_reference).toBe("ref-42");
    expect(sent.upstream).toBe("sim");
    expect(sent.parts[0]?.smsc_message_id).toBe(done.parts[0]?.smsc_message_id);
    expect(delivered).toEqual(done);
  });

  test("each event fans out to the subscribed enabled endpoints and the status_callback_url", async () => {
    const db = p.database.db;
    const [all] = await db
      .insert(webhookEndpoints)
      .values({ accountId: p.accountId, url: "https://hooks.example/all", secretEnc: "sealed" })
      .returning();
    const [failedOnly] = await db
      .insert(webhookEndpoints)
      .values({
        accountId: p.accountId,
        url: "https://hooks.example/failed",
        events: ["message.failed"],
        secretEnc: "sealed",
      })
      .returning();
    const [disabled] = await db
      .insert(webhookEndpoints)
      .values({
        accountId: p.accountId,
        url: "https://hooks.example/off",
        enabled: false,
        secretEnc: "sealed",
      })
      .returning();
    const accepted = await p.send({ text: "fan out", status_callback_url: "https://cb.example/status" });
    await p.waitFor(accepted.id, ["delivered"]);
    const mine = (await db.select().from(events).where(eq(events.accountId, p.accountId))).filter(
      (e) => (e.payload as MessageJson).id === accepted.id,
    );
    expect(mine).toHaveLength(2);
    const deliveries = await db
      .select()
      .from(webhookDeliveries)
      .where(
        inArray(
          webhookDeliveries.eventId,
          mine.map((e) => e.id),
        ),
      );
    const targets = deliveries.map((d) => `${d.endpointId ?? "callback"} ${d.url}`).sort();
    expect(targets).toEqual(
      [
        `${all?.id} https://hooks.example/all`,
        `${all?.id} https://hooks.example/all`,
        "callback https://cb.example/status",
        "callback https://cb.example/status",
      ].sort(),
    );
    expect(deliveries.every((d) => d.status === "pending")).toBe(true);
    expect(deliveries.some((d) => d.endpointId === failedOnly?.id || d.endpointId === disabled?.id)).toBe(
      false,
    );
  });
});
