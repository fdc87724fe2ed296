/** Hand-built frames for tests, written octet by octet (independent of the encoder under test). */
export function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, "latin1"), Buffer.from([0])]);
}

export function u8(...values: number[]): Buffer {
  return Buffer.from(values);
}

export function tlv(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(tag, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value]);
}

export function frame(commandId: number, status: number, seq: number, ...body: Buffer[]): Buffer {
  const b = Buffer.concat([Buffer.alloc(16), ...body]);
  b.writeUInt32BE(b.length, 0);
  b.writeUInt32BE(commandId, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(seq, 12);
  return b;
}

/** submit_sm/deliver_sm body with the given addresses, times and short_message (sm_length from it). */
export function shortMessageBody(opts: {
  serviceType?: string;
  source?: string;
  destination?: string;
  schedule?: string;
  validity?: string;
  esmClass?: number;
  message?: Buffer;
  smLength?: number;
}): Buffer {
  const message = opts.message ?? Buffer.from("hi");
  return Buffer.concat([
    cstr(opts.serviceType ?? ""),
    u8(1, 1),
    cstr(opts.source ?? "4930123456"),
    u8(1, 1),
    cstr(opts.destination ?? "4915112345678"),
    u8(opts.esmClass ?? 0, 0, 0),
    cstr(opts.schedule ?? ""),
    cstr(opts.validity ?? ""),
    u8(1, 0, 0, 0),
    u8(opts.smLength ?? message.length),
    message,
  ]);
}
