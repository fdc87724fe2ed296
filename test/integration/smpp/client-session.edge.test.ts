/**
 * ClientSession against an SMSC that does what real ones sometimes do: keeps the socket open after its
 * own unbind, puts garbage right behind a good response, … The SMSC is raw-smsc.ts on 127.0.0.1.
 */
import { afterEach, describe, expect, test } from "vitest";
import { encodePdu } from "../../../src/smpp/codec.js";
import { ClientSession, type ClientSessionOptions } from "../../../src/smpp/net/client-session.js";
import { CommandStatus, SmppStatusError } from "../../../src/smpp/status.js";
import { header, type RawSmsc, type RawSmscOptions, startRawSmsc } from "./raw-smsc.js";
import { eventually, submitBody } from "./session-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function smsc(options: RawSmscOptions = {}): Promise<RawSmsc> {
  const s = await startRawSmsc(options);
  cleanups.push(() => s.close());
  return s;
}

function session(port: number, extra: Partial<ClientSessionOptions> = {}): ClientSession {
  const s = new ClientSession({
    id: "edge",
    host: "127.0.0.1",
    port,
    systemId: "esme",
    password: "pw",
    reconnect: { initialMs: 20, maxMs: 200 },
    sweepIntervalMs: 10,
    ...extra,
  });
  cleanups.push(() => s.close(500));
  return s;
}

describe("link edge cases", () => {
  test("an unbind from an SMSC that keeps the TCP connection open is answered, the link closed by us, and the session binds again", async () => {
    const raw = await smsc({ allowHalfOpen: true });
    const s = session(raw.port, { closeTimeoutMs: 200 });
    s.start();
    await s.whenBound(5000);
    raw.sockets[0]?.write(encodePdu({ command: "unbind", command_status: 0, sequence_number: 5 }));
    await eventually(
      () => raw.received.some((r) => r.pdu.command === "unbind_resp" && r.pdu.sequence_number === 5),
      5000,
      "unbind_resp",
    );
    await eventually(() => raw.sockets.length === 2 && s.state === "bound", 5000, "bound again");
  });

  test("PDUs read just before an unframeable command_length are still handled: the submit_sm_resp in that chunk settles its submit", async () => {
    const raw = await smsc({
      onPdu: (pdu, socket, connection) => {
        if (pdu.command !== "submit_sm" || connection !== 0) return;
        const resp = encodePdu({
          command: "submit_sm_resp",
          command_status: 0,
          sequence_number: pdu.sequence_number,
          message_id: "ID-1",
        });
        // One write: the answer, then a header whose command_length (8) cannot be framed.
        socket.write(Buffer.concat([resp, header(8, 0x00000015, 0, 99)]));
      },
    });
    const s = session(raw.port);
    s.start();
    await s.whenBound(5000);
    await expect(s.submit(submitBody("answered"))).resolves.toMatchObject({ message_id: "ID-1" });
    // The stream is still beyond repair: the connection goes, and the session binds again.
    await eventually(() => raw.sockets.length === 2 && s.state === "bound", 5000, "bound again");
  });

  test("an unbind and a close instead of bind_resp make one reconnect, not two sessions of which one is leaked", async () => {
    const raw = await smsc({
      onBind: (_pdu, socket, connection) => {
        if (connection !== 0) return false;
        socket.end(encodePdu({ command: "unbind", command_status: 0, sequence_number: 1 }));
        return true;
      },
    });
    const s = session(raw.port);
    s.start();
    await s.whenBound(5000);
    // The reconnect backoff is at most 200 ms: a second timer would have fired well within this.
    await new Promise((r) => setTimeout(r, 600));
    const open = raw.sockets.filter((_, i) => !raw.closed.has(i));
    expect(open).toHaveLength(1);
    expect(raw.sockets).toHaveLength(2);
    expect(s.state).toBe("bound");
  });

  test("a refusal whose body cannot be read keeps the SMSC's status: a throttled submit pauses and stays retryable", async () => {
    const raw = await smsc({
      onPdu: (pdu, socket) => {
        if (pdu.command !== "submit_sm") return;
        // ESME_RTHROTTLED with a message_id that has no NUL: the header is sound, the body is not.
        const body = Buffer.from("ABC", "latin1");
        socket.write(
          Buffer.concat([
            header(16 + body.length, 0x80000004, CommandStatus.ESME_RTHROTTLED, pdu.sequence_number),
            body,
          ]),
        );
      },
    });
    const s = session(raw.port);
    const pauses: number[] = [];
    s.on("throttled", (_ms, status) => pauses.push(status));
    s.start();
    await s.whenBound(5000);
    const err = await s.submit(submitBody("throttled")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmppStatusError);
    expect(err).toMatchObject({ status: CommandStatus.ESME_RTHROTTLED, retryable: true });
    expect(pauses).toEqual([CommandStatus.ESME_RTHROTTLED]);
    expect(s.inFlight).toBe(0);
    expect(s.state).toBe("bound");
  });

  test("an acceptance whose body is malformed (none, no NUL, an overlong id) is an acceptance: the id is read leniently", async () => {
    const bodies = [Buffer.alloc(0), Buffer.from("ID-9", "latin1"), Buffer.from("X".repeat(70), "latin1")];
    const raw = await smsc({
      onPdu: (pdu, socket) => {
        if (pdu.command !== "submit_sm") return;
        const body = bodies.shift() ?? Buffer.alloc(0);
        socket.write(Buffer.concat([header(16 + body.length, 0x80000004, 0, pdu.sequence_number), body]));
      },
    });
    const s = session(raw.port);
    s.start();
    await s.whenBound(5000);
    const ids: string[] = [];
    for (const text of ["no body", "no NUL", "too long"])
      ids.push((await s.submit(submitBody(text))).message_id);
    expect(ids).toEqual(["", "ID-9", "X".repeat(64)]);
    expect(s.state).toBe("bound");
  });

  test("ESME_RINVBNDSTS (the SMSC no longer counts us bound) fails that submit retryable and rebinds the session", async () => {
    const raw = await smsc({
      onPdu: (pdu, socket, connection) => {
        if (pdu.command !== "submit_sm") return;
        const status = connection === 0 ? CommandStatus.ESME_RINVBNDSTS : 0;
        socket.write(
          encodePdu({
            command: "submit_sm_resp",
            command_status: status,
            sequence_number: pdu.sequence_number,
            message_id: status === 0 ? "ID-2" : "",
          }),
        );
      },
    });
    const s = session(raw.port);
    s.start();
    await s.whenBound(5000);
    const err = await s.submit(submitBody("not bound?")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmppStatusError);
    expect(err).toMatchObject({ status: CommandStatus.ESME_RINVBNDSTS, retryable: true });
    await eventually(() => raw.sockets.length === 2 && s.state === "bound", 5000, "bound again");
    await expect(s.submit(submitBody("bound again"))).resolves.toMatchObject({ message_id: "ID-2" });
  });

  test("a bind accepted with a body we cannot read (a 20-character system_id, no body at all) is a bind, not a refusal", async () => {
    const bodies = [Buffer.from("SMSC-PRODUCTION-0001\0", "latin1"), Buffer.alloc(0)];
    const raw = await smsc({
      onBind: (pdu, socket) => {
        const body = bodies.shift() ?? Buffer.from("RAW\0", "latin1");
        socket.write(Buffer.concat([header(16 + body.length, 0x80000009, 0, pdu.sequence_number), body]));
        return true;
      },
      onPdu: (pdu, socket) => {
        if (pdu.command !== "submit_sm") return;
        socket.write(
          encodePdu({
            command: "submit_sm_resp",
            command_status: 0,
            sequence_number: pdu.sequence_number,
            message_id: "ID-3",
          }),
        );
      },
    });
    for (const connection of [0, 1]) {
      const s = session(raw.port, { credentialBackoffMs: 60_000, reconnect: { initialMs: 60_000 } });
      s.start();
      await s.whenBound(5000);
      await expect(s.submit(submitBody("bound"))).resolves.toMatchObject({ message_id: "ID-3" });
      expect(raw.sockets).toHaveLength(connection + 1);
      await s.close(500);
    }
  });

  test("an inbound PDU answered after its connection was lost is not answered on the next one", async () => {
    const raw = await smsc({
      onPdu: (pdu, socket) => {
        if (pdu.command !== "submit_sm") return;
        socket.write(
          encodePdu({
            command: "submit_sm_resp",
            command_status: 0,
            sequence_number: pdu.sequence_number,
            message_id: "ID-4",
          }),
        );
      },
    });
    let store: ((status: number) => void) | undefined;
    const s = session(raw.port, {
      onInbound: () =>
        new Promise<number>((resolve) => {
          store = resolve;
        }),
    });
    s.start();
    await s.whenBound(5000);
    raw.sockets[0]?.write(
      encodePdu({ ...submitBody("receipt"), command: "deliver_sm", command_status: 0, sequence_number: 7 }),
    );
    await eventually(() => store !== undefined, 5000, "the handler called");
    raw.sockets[0]?.destroy();
    await eventually(() => raw.sockets.length === 2 && s.state === "bound", 5000, "bound again");
    store?.(0);
    // Written after the late answer would have been: once this is answered, that one would be in.
    await expect(s.submit(submitBody("after"))).resolves.toMatchObject({ message_id: "ID-4" });
    expect(raw.received.filter((r) => r.pdu.command === "deliver_sm_resp")).toEqual([]);
  });

  /** The delays of the first `count` reconnects of a session whose SMSC closes every link right after binding it. */
  async function reconnectDelays(count: number, extra: Partial<ClientSessionOptions>): Promise<string[]> {
    const raw = await smsc({
      onBind: (pdu, socket) => {
        socket.end(
          encodePdu({
            command: "bind_transceiver_resp",
            command_status: 0,
            sequence_number: pdu.sequence_number,
            system_id: "RAW",
          }),
        );
        return true;
      },
    });
    const s = session(raw.port, {
      reconnect: { initialMs: 20, factor: 2, maxMs: 10_000, jitter: 0 },
      ...extra,
    });
    const delays: string[] = [];
    s.on("state", (state, error) => {
      if (state === "backoff") delays.push(/next attempt in (.*)$/.exec(error?.message ?? "")?.[1] ?? "?");
    });
    s.start();
    await eventually(() => delays.length >= count, 10_000, `${count} reconnects`);
    return delays.slice(0, count);
  }

  test("an SMSC that closes each link right after binding it meets a growing backoff, not a reconnect every interval", async () => {
    expect(await reconnectDelays(4, {})).toEqual(["20 ms", "40 ms", "80 ms", "160 ms"]);
  });

  test("a bind that lasted stableBindMs starts the backoff over", async () => {
    expect(await reconnectDelays(3, { stableBindMs: 0 })).toEqual(["20 ms", "20 ms", "20 ms"]);
  });
});
