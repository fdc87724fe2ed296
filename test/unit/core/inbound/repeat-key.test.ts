/** repeatKey: which whole inbound SMS count as the same message (pure, no database). */
import { describe, expect, test } from "vitest";
import { decodeInbound } from "../../../../src/core/inbound/decode.js";
import { repeatKey } from "../../../../src/core/inbound/repeat-key.js";
import type { InboundPdu } from "../../../../src/smpp/net/types.js";
import { deliverSm } from "../../../helpers/deliver-sm.js";

const sms = {
  from: "+447700900456",
  to: "+447700900123",
  dataCoding: 0,
  userData: Buffer.from("see you at 6", "latin1"),
};

function deliver(fields: Partial<InboundPdu>): InboundPdu {
  const base = deliverSm({
    source_addr: "447700900456",
    destination_addr: "447700900123",
    short_message: Buffer.from("see you at 6", "latin1"),
  });
  return { ...base, ...fields } as InboundPdu;
}

describe("repeatKey", () => {
  test("the same upstream, addresses, data_coding and octets: the same key", () => {
    const again = { ...sms, userData: Buffer.from(sms.userData) };
    expect(repeatKey("ups_1", again)).toEqual(repeatKey("ups_1", sms));
    expect(repeatKey("ups_1", sms)).toHaveLength(32);
  });

  test("any one of them different: another key", () => {
    const base = repeatKey("ups_1", sms).toString("hex");
    const others = [
      repeatKey("ups_2", sms),
      repeatKey("ups_1", { ...sms, from: "+447700900457" }),
      repeatKey("ups_1", { ...sms, to: "+447700900124" }),
      repeatKey("ups_1", { ...sms, dataCoding: 3 }),
      repeatKey("ups_1", { ...sms, userData: Buffer.from("see you at 7", "latin1") }),
      repeatKey("ups_1", { ...sms, userData: Buffer.from("see you at 6 ", "latin1") }),
    ].map((k) => k.toString("hex"));
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  test("a field boundary cannot move: ('+1', '23') and ('+12', '3') differ", () => {
    expect(repeatKey("u", { ...sms, from: "+1", to: "23" })).not.toEqual(
      repeatKey("u", { ...sms, from: "+12", to: "3" }),
    );
  });

  test("decodeInbound keeps the user data as received: short_message, or message_payload", () => {
    const plain = decodeInbound(deliver({}), "gsm7");
    expect(plain.kind === "single" && Buffer.from(plain.userData).toString("latin1")).toBe("see you at 6");
    const payload = Buffer.from("in the payload", "latin1");
    const viaPayload = decodeInbound(
      deliver({ short_message: Buffer.alloc(0), tlvs: { message_payload: payload } } as Partial<InboundPdu>),
      "gsm7",
    );
    expect(viaPayload.kind === "single" && Buffer.from(viaPayload.userData)).toEqual(payload);
    // A non-concatenation header stays in: it is part of what the sender sent.
    const ports = [0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x68, 0x69];
    const withPorts = decodeInbound(deliver({ esm_class: 0x40, short_message: Buffer.from(ports) }), "gsm7");
    expect(withPorts.kind === "single" && [...withPorts.userData]).toEqual(ports);
  });
});
