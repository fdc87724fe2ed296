import { describe, expect, it } from "vitest";
import { CommandId } from "../../../../src/smpp/commands.js";
import { maskedFrame } from "../../../../src/smpp/net/mask.js";

/** A PDU frame: header with `commandId`, then `body` as it is (no NULs added). */
function frame(commandId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(commandId, 4);
  header.writeUInt32BE(1, 12);
  return Buffer.concat([header, body]);
}

const text = (b: Buffer) => b.subarray(16).toString("latin1");

describe("maskedFrame", () => {
  it("masks the password of a bind and keeps system_id and what follows", () => {
    const body = Buffer.from("acme\0s3cret\0sys\0\x34\x01\x01\0", "latin1");
    const masked = maskedFrame(frame(CommandId.bind_transceiver, body));
    expect(text(masked)).toBe("acme\0******\0sys\0\x34\x01\x01\0");
  });

  it("masks an outbind's password", () => {
    const masked = maskedFrame(frame(CommandId.outbind, Buffer.from("smsc\0hunter2\0", "latin1")));
    expect(text(masked)).toBe("smsc\0*******\0");
  });

  it("masks to the end of a frame whose password has no NUL", () => {
    const masked = maskedFrame(frame(CommandId.bind_transmitter, Buffer.from("acme\0s3cret", "latin1")));
    expect(text(masked)).toBe("acme\0******");
  });

  it("masks the whole body of a bind or outbind without any NUL: the password may be in it", () => {
    const masked = maskedFrame(frame(CommandId.outbind, Buffer.from("smschunter2", "latin1")));
    expect(text(masked)).toBe("***********");
  });

  it("leaves other PDUs as they are", () => {
    const submit = frame(CommandId.submit_sm, Buffer.from("\0\x01\x01123\0", "latin1"));
    expect(maskedFrame(submit)).toBe(submit);
  });
});
