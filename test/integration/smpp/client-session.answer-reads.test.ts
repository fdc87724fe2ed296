/**
 * AnswerWatch: a session tells an inbound handler when the SMSC has certainly read its ESME_ROK answer
 * (it answered a request of ours written after it), and never when the answer was another status, left
 * late, or its connection went first. Against the npm `smpp` package as the SMSC, on 127.0.0.1.
 */
import { afterEach, expect, test } from "vitest";
import { ClientSession, type ClientSessionOptions } from "../../../src/smpp/net/client-session.js";
import type { AnswerWatch } from "../../../src/smpp/net/types.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { eventually, type PeerPdu, type PeerSession, startPeerSmsc, submitBody } from "./session-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What the peer saw, in order: "deliver_sm_resp <status>", "enquire_link", "submit_sm". */
type Seen = string[];

/**
 * A peer SMSC that binds anyone; answers submit_sm and (unless `silent`) enquire_link, the first one
 * `firstEnquireDelayMs` late.
 */
async function peer(options: { silent?: boolean; firstEnquireDelayMs?: number } = {}) {
  const seen: Seen = [];
  let enquiries = 0;
  const smsc = await startPeerSmsc((session: PeerSession) => {
    session.on("bind_transceiver", (pdu) => session.send(pdu.response({ system_id: "PEER" })));
    session.on("unbind", (pdu) => session.send(pdu.response()));
    session.on("enquire_link", (pdu) => {
      seen.push("enquire_link");
      if (options.silent) return;
      const delayMs = enquiries++ === 0 ? (options.firstEnquireDelayMs ?? 0) : 0;
      setTimeout(() => session.send(pdu.response()), delayMs);
    });
    session.on("submit_sm", (pdu) => {
      seen.push("submit_sm");
      session.send(pdu.response({ message_id: "1" }));
    });
  });
  cleanups.push(() => smsc.close());
  const deliver = (text: string) =>
    smsc.sessions
      .at(-1)
      ?.deliver_sm(
        { source_addr: "447700900123", destination_addr: "447700900999", short_message: text },
        (resp: PeerPdu) => seen.push(`deliver_sm_resp ${resp.command_status}`),
      );
  return { smsc, seen, deliver };
}

/** A bound session whose handler answers `status` after `delayMs` and notes which answers were read. */
async function session(
  port: number,
  answer: { status?: number; delayMs?: number } = {},
  extra: Partial<ClientSessionOptions> = {},
) {
  const read: string[] = [];
  const s = new ClientSession({
    id: "reads",
    host: "127.0.0.1",
    port,
    systemId: "esme1",
    password: "secret",
    reconnect: { initialMs: 20, maxMs: 200 },
    sweepIntervalMs: 10,
    onInbound: async (pdu, _sessionId, watch?: AnswerWatch) => {
      const text = pdu.command === "deliver_sm" ? pdu.short_message.toString("latin1") : "";
      watch?.onRead(() => read.push(text));
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      return answer.status ?? CommandStatus.ESME_ROK;
    },
    ...extra,
  });
  cleanups.push(() => s.close(1000));
  s.start();
  await s.whenBound(5000);
  return { s, read };
}

test("the response to a submit written after our answer proves the answer read, at once", async () => {
  const p = await peer();
  const { s, read } = await session(p.smsc.port);
  p.deliver("YES");
  await eventually(() => p.seen.includes("deliver_sm_resp 0"), 5000, "our answer");
  expect(read).toEqual([]);
  await s.submit(submitBody("after the answer"));
  expect(read).toEqual(["YES"]);
});

test("on a link with nothing to send, an enquire_link goes out to prove it", async () => {
  const p = await peer();
  const { read } = await session(p.smsc.port);
  p.deliver("YES");
  await eventually(() => read.length === 1, 5000, "the answer proven read");
  expect(read).toEqual(["YES"]);
  expect(p.seen).toEqual(["deliver_sm_resp 0", "enquire_link"]);
});

test("an enquire_link already out when the answer left proves nothing: another follows it", async () => {
  const p = await peer({ firstEnquireDelayMs: 2000 });
  const { read } = await session(p.smsc.port, {}, { responseTimeoutMs: 60_000 });
  p.deliver("first");
  await eventually(() => p.seen.includes("enquire_link"), 5000, "the first probe");
  p.deliver("second"); // answered while that probe waits for its response
  await eventually(() => read.includes("second"), 10_000, "the second answer proven read");
  expect(read).toEqual(["first", "second"]);
  expect(p.seen.filter((s) => s === "enquire_link")).toHaveLength(2);
});

test("an SMSC that answers nothing of ours proves nothing", async () => {
  const p = await peer({ silent: true });
  const { read } = await session(p.smsc.port, {}, { responseTimeoutMs: 60_000 });
  p.deliver("YES");
  await eventually(() => p.seen.includes("enquire_link"), 5000, "the probe");
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(read).toEqual([]);
});

test("an answer other than ESME_ROK is never reported read", async () => {
  const p = await peer();
  const { s, read } = await session(p.smsc.port, { status: CommandStatus.ESME_RX_T_APPN });
  p.deliver("YES");
  await eventually(
    () => p.seen.includes(`deliver_sm_resp ${CommandStatus.ESME_RX_T_APPN}`),
    5000,
    "our answer",
  );
  await s.submit(submitBody("after the answer"));
  expect(read).toEqual([]);
});

test("an answer that left late is never reported read: the SMSC may be resending already", async () => {
  const p = await peer();
  const { s, read } = await session(p.smsc.port, { delayMs: 150 }, { answerInTimeMs: 50 });
  p.deliver("YES");
  await eventually(() => p.seen.includes("deliver_sm_resp 0"), 5000, "our answer");
  await s.submit(submitBody("after the answer"));
  expect(read).toEqual([]);
});

test("when the connection goes before any proof, the answer stays unproven after the rebind", async () => {
  const p = await peer({ silent: true });
  const { s, read } = await session(p.smsc.port, {}, { responseTimeoutMs: 60_000 });
  p.deliver("YES");
  await eventually(() => p.seen.includes("deliver_sm_resp 0"), 5000, "our answer");
  p.smsc.sessions.at(-1)?.destroy();
  await eventually(() => s.state !== "bound", 5000, "the link lost");
  await s.whenBound(5000);
  await s.submit(submitBody("on the new link"));
  expect(read).toEqual([]);
});
