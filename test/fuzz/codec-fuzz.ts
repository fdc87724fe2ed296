/**
 * The codec fuzzer shared by `npm run fuzz` (test/fuzz/codec.fuzz.ts, a million inputs and more) and the
 * CI sample (test/unit/smpp/fuzz-sample.test.ts). Inputs are random frames and mutations of valid PDUs
 * (the vectors of ../shared/smpp/vectors.json and PDUs generated from the PDU table); each one goes
 * through decodePdu, the answer we would send, a re-encode, the receipt parser, and the Framer (cut into
 * random chunks). Everything is derived from one seed, so input N of a run is input N of every run.
 *
 * What must hold for every input:
 * - only our typed errors escape (SmppDecodeError from decodePdu, FramingError from the Framer);
 * - whatever decodes re-encodes, and decoding that gives the same octets again (a fixed point);
 * - strict TLV decoding refuses (ESME_RINVPARLEN) exactly what the lenient one decodes with a known TLV
 *   kept raw for its length, and otherwise agrees with it;
 * - the answer to a request or to a decode error encodes;
 * - the Framer returns exactly the frames a plain reading of the stream gives, and fails where it does;
 * - no single Buffer allocated by the codec or the Framer is larger than the frame maximum (a
 *   command_length of 4 GB must not allocate 4 GB), and the Framer never holds more than that.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { decodePdu, emptyPdu, encodePdu, replyToDecodeError } from "../../src/smpp/codec.js";
import { CommandId, type CommandName, responseNameOf } from "../../src/smpp/commands.js";
import { FramingError, SmppDecodeError } from "../../src/smpp/errors.js";
import { Framer } from "../../src/smpp/framer.js";
import type { Pdu } from "../../src/smpp/pdu.js";
import { isReceipt, parseReceipt } from "../../src/smpp/receipt.js";
import { CommandStatus, statusInfo } from "../../src/smpp/status.js";
import { anyPdu } from "../unit/smpp/arbitraries.js";

export interface FuzzOptions {
  /** Seed of the whole run (32-bit). */
  seed: number;
  /** Number of inputs. */
  inputs: number;
  /** Frame maximum given to the Framer, in octets. Default 65536 (the Framer's default). */
  maxLength?: number;
  /** Generated valid PDUs added to the vectors as mutation seeds. Default 400. */
  generatedSeeds?: number;
  /** Called every `progressEvery` inputs with the number done. */
  onProgress?: (done: number) => void;
  /** Default 100,000. */
  progressEvery?: number;
}

export interface FuzzFailure {
  index: number;
  check: string;
  message: string;
  /** The input (frame or stream), hex, cut at 512 octets. */
  input: string;
}

export interface FuzzSummary {
  seed: number;
  inputs: number;
  /** Inputs that decoded to a PDU. */
  decoded: number;
  /** SmppDecodeError count by status name. */
  decodeErrors: Record<string, number>;
  /** Inputs that decoded with a known TLV kept raw for its length (refused when strict). */
  keptRaw: number;
  /** Inputs fed to a Framer as a stream of several frames. */
  streams: number;
  framesFromStreams: number;
  framingErrors: number;
  /** Receipts (or receipt-like deliver_sm/data_sm) given to parseReceipt. */
  receiptsParsed: number;
  /** Largest single Buffer the codec or the Framer asked for, in octets. */
  largestAllocation: number;
  /** Longest time one input took, in milliseconds (wall clock, so scheduling included). */
  slowestInputMs: number;
  failureCount: number;
  /** The first failures (at most 20). */
  failures: FuzzFailure[];
}

/** sfc32: small, fast, and the same sequence on every platform for a seed. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The vectors' frames plus `generated` valid PDUs of every command (TLVs included), encoded. */
export function seedFrames(seed: number, generated: number): Buffer[] {
  const vectors = JSON.parse(
    readFileSync(path.resolve(repoRoot, "test/fixtures/smpp/vectors.json"), "utf8"),
  ) as Array<{
    hex: string;
  }>;
  const pdus = fc.sample(anyPdu, { seed, numRuns: generated });
  return [...vectors.map((v) => Buffer.from(v.hex, "hex")), ...pdus.map(encodePdu)];
}

const COMMAND_IDS = Object.values(CommandId);
/** Values that sit on the edges of the fields they land in. */
const INTERESTING_U32 = [
  0, 1, 15, 16, 17, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x10001, 0x7fffffff, 0x80000000, 0xffffffff,
];
const INTERESTING_U8 = [0, 1, 0x1b, 0x40, 0x7f, 0x80, 0xfe, 0xff];

function randomBody(rng: Rng, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  // NULs often, so that C-strings end where fields are expected to.
  for (let i = 0; i < length; i++) b[i] = rng.chance(0.25) ? 0 : rng.u32() & 0xff;
  return b;
}

/** A header with a known or random command_id, then random body octets. */
function randomFrame(rng: Rng, maxLength: number): Buffer {
  const bodyLength = rng.chance(0.9) ? rng.int(260) : rng.int(Math.min(maxLength, 4096));
  const b = Buffer.concat([Buffer.alloc(16), randomBody(rng, bodyLength)]);
  b.writeUInt32BE(rng.chance(0.85) ? b.length : rng.pick(INTERESTING_U32), 0);
  b.writeUInt32BE(rng.chance(0.8) ? rng.pick(COMMAND_IDS) : rng.u32(), 4);
  b.writeUInt32BE(rng.chance(0.6) ? 0 : rng.u32(), 8);
  b.writeUInt32BE(rng.u32(), 12);
  return rng.chance(0.05) ? b.subarray(0, rng.int(16)) : b;
}

function mutate(rng: Rng, source: Buffer, seeds: readonly Buffer[]): Buffer {
  let b = Buffer.from(source);
  const rounds = 1 + rng.int(rng.chance(0.7) ? 2 : 8);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : rng.int(b.length);
    switch (rng.int(9)) {
      case 0: // flip a bit
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << rng.int(8));
        break;
      case 1: // an edge octet
        if (b.length > 0) b[at] = rng.pick(INTERESTING_U8);
        break;
      case 2: // a random octet
        if (b.length > 0) b[at] = rng.u32() & 0xff;
        break;
      case 3: // an edge 32-bit value (lengths, ids, counts)
        if (b.length >= 4) b.writeUInt32BE(rng.pick(INTERESTING_U32), rng.int(b.length - 3));
        break;
      case 4: // an edge 16-bit value (TLV tags and lengths)
        if (b.length >= 2) b.writeUInt16BE(rng.pick(INTERESTING_U32) & 0xffff, rng.int(b.length - 1));
        break;
      case 5: // cut
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 6: // insert random octets
        b = Buffer.concat([b.subarray(0, at), randomBody(rng, 1 + rng.int(16)), b.subarray(at)]);
        break;
      case 7: // remove a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16)))]);
        break;
      default: {
        // splice in a piece of another valid PDU
        const other = rng.pick(seeds);
        const from = rng.int(other.length);
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + 1 + rng.int(64))]);
      }
    }
  }
  // Mostly keep command_length true, so the body decoder (not the length check) sees the damage.
  if (b.length >= 4 && rng.chance(0.8)) b.writeUInt32BE(b.length, 0);
  return b;
}

/** Frames a plain reading of `stream` gives, and whether it ends in a bad command_length. */
function referenceFrames(stream: Buffer, maxLength: number): { frames: Buffer[]; fails: boolean } {
  const frames: Buffer[] = [];
  let o = 0;
  while (stream.length - o >= 4) {
    const length = stream.readUInt32BE(o);
    if (length < 16 || length > maxLength) return { frames, fails: true };
    if (stream.length - o < length) break;
    frames.push(stream.subarray(o, o + length));
    o += length;
  }
  return { frames, fails: false };
}

function hex(b: Buffer): string {
  return b.subarray(0, 512).toString("hex");
}

/** Counts the largest allocation made through Buffer's allocators while `tracking` is on. */
class AllocationWatch {
  largest = 0;
  tracking = false;
  private readonly originals = {
    alloc: Buffer.alloc,
    allocUnsafe: Buffer.allocUnsafe,
    allocUnsafeSlow: Buffer.allocUnsafeSlow,
  };

  install(): void {
    const wrap =
      <A extends unknown[]>(original: (size: number, ...rest: A) => Buffer) =>
      (size: number, ...rest: A): Buffer => {
        if (this.tracking && size > this.largest) this.largest = size;
        return original.call(Buffer, size, ...rest);
      };
    Buffer.alloc = wrap(this.originals.alloc) as typeof Buffer.alloc;
    Buffer.allocUnsafe = wrap(this.originals.allocUnsafe) as typeof Buffer.allocUnsafe;
    Buffer.allocUnsafeSlow = wrap(this.originals.allocUnsafeSlow) as typeof Buffer.allocUnsafeSlow;
  }

  uninstall(): void {
    Buffer.alloc = this.originals.alloc;
    Buffer.allocUnsafe = this.originals.allocUnsafe;
    Buffer.allocUnsafeSlow = this.originals.allocUnsafeSlow;
  }
}

class Failures {
  count = 0;
  readonly first: FuzzFailure[] = [];

  add(index: number, check: string, message: string, input: Buffer): void {
    this.count++;
    if (this.first.length < 20) this.first.push({ index, check, message, input: hex(input) });
  }
}

function describeThrown(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${String(e)}`;
}

/** Runs the fuzzer; never throws for a finding, it counts and reports them. */
export function runCodecFuzz(options: FuzzOptions): FuzzSummary {
  const maxLength = options.maxLength ?? 65536;
  const rng = new Rng(options.seed);
  const seeds = seedFrames(options.seed, options.generatedSeeds ?? 400);
  const failures = new Failures();
  const watch = new AllocationWatch();
  const summary: Omit<FuzzSummary, "failureCount" | "failures" | "largestAllocation"> = {
    seed: options.seed,
    inputs: options.inputs,
    decoded: 0,
    decodeErrors: {},
    keptRaw: 0,
    streams: 0,
    framesFromStreams: 0,
    framingErrors: 0,
    receiptsParsed: 0,
    slowestInputMs: 0,
  };
  const progressEvery = options.progressEvery ?? 100_000;

  /** decodePdu and everything after it for one frame. */
  const checkFrame = (index: number, input: Buffer): void => {
    let pdu: Pdu;
    let malformed = 0;
    watch.tracking = true;
    try {
      pdu = decodePdu(input, { onMalformedTlv: () => malformed++ });
    } catch (e) {
      if (!(e instanceof SmppDecodeError)) {
        watch.tracking = false;
        failures.add(index, "decodePdu throws only SmppDecodeError", describeThrown(e), input);
        return;
      }
      const name = statusInfo(e.status).name;
      summary.decodeErrors[name] = (summary.decodeErrors[name] ?? 0) + 1;
      try {
        const reply = replyToDecodeError(e);
        if (reply !== undefined) encodePdu(reply);
      } catch (e2) {
        failures.add(index, "the answer to a decode error encodes", describeThrown(e2), input);
      }
      watch.tracking = false;
      if (!strictThrows(input)) failures.add(index, "strict refuses what lenient refuses", name, input);
      return;
    }
    summary.decoded++;
    if (malformed > 0) summary.keptRaw++;
    checkStrict(index, input, pdu, malformed);
    try {
      const again = encodePdu(pdu);
      const third = encodePdu(decodePdu(again));
      if (!third.equals(again)) failures.add(index, "decode/encode is a fixed point", hex(third), input);
      const response = responseNameOf(pdu.command as CommandName);
      if (response !== undefined) encodePdu(emptyPdu(response, pdu.sequence_number) as Pdu);
    } catch (e) {
      failures.add(index, "a decoded PDU re-encodes, and so does its answer", describeThrown(e), input);
    }
    watch.tracking = false;
    if (pdu.command === "deliver_sm" || pdu.command === "data_sm") {
      // data_sm carries its text in message_payload only.
      const msg = pdu.command === "deliver_sm" ? pdu : { ...pdu, short_message: Buffer.alloc(0) };
      if (!isReceipt(msg)) return;
      summary.receiptsParsed++;
      try {
        parseReceipt(msg);
      } catch (e) {
        failures.add(index, "parseReceipt never throws", describeThrown(e), input);
      }
    }
  };

  const strictThrows = (input: Buffer): boolean => {
    try {
      decodePdu(input, { strictTlvs: true });
      return false;
    } catch (e) {
      return e instanceof SmppDecodeError;
    }
  };

  /** Strict decoding refuses with ESME_RINVPARLEN where lenient kept a TLV raw, else decodes the same. */
  const checkStrict = (index: number, input: Buffer, lenient: Pdu, malformed: number): void => {
    let strict: Pdu;
    try {
      strict = decodePdu(input, { strictTlvs: true });
    } catch (e) {
      const refused = e instanceof SmppDecodeError && e.status === CommandStatus.ESME_RINVPARLEN;
      if (!refused || malformed === 0) {
        failures.add(index, "strict refuses only a TLV lenient kept raw", describeThrown(e), input);
      }
      return;
    }
    if (malformed > 0 || !encodePdu(strict).equals(encodePdu(lenient))) {
      failures.add(index, "strict and lenient agree on well-formed TLVs", `${malformed} kept raw`, input);
    }
  };

  /** Several frames, valid and damaged, cut into random chunks. */
  const checkStream = (index: number, frames: readonly Buffer[]): void => {
    summary.streams++;
    const stream = Buffer.concat(frames);
    const expected = referenceFrames(stream, maxLength);
    const framer = new Framer({ maxLength });
    const got: Buffer[] = [];
    let failed = false;
    watch.tracking = true;
    try {
      for (let o = 0; o < stream.length; ) {
        const size = 1 + rng.int(rng.chance(0.5) ? 8 : 300);
        got.push(...framer.push(stream.subarray(o, o + size)));
        if (framer.pendingBytes > maxLength) {
          failures.add(index, "the Framer holds at most one frame", `${framer.pendingBytes} pending`, stream);
        }
        o += size;
      }
    } catch (e) {
      if (e instanceof FramingError) {
        failed = true;
        summary.framingErrors++;
        got.push(...e.frames);
      } else {
        failures.add(index, "Framer.push throws only FramingError", describeThrown(e), stream);
      }
    }
    watch.tracking = false;
    summary.framesFromStreams += got.length;
    const same =
      failed === expected.fails &&
      got.length === expected.frames.length &&
      got.every((f, i) => f.equals(expected.frames[i] as Buffer));
    if (!same) {
      failures.add(
        index,
        "the Framer returns the frames of the stream",
        `got ${got.length} frames (failed: ${failed}), expected ${expected.frames.length} (fails: ${expected.fails})`,
        stream,
      );
    }
    for (const f of got) checkFrame(index, f);
  };

  watch.install();
  // Decode errors are the common case here, and nobody reads their stack traces.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const edge of edgeCaseStreams(maxLength)) {
      checkStream(-1, [edge]);
      checkFrame(-1, edge);
    }
    for (let index = 0; index < options.inputs; index++) {
      const started = performance.now();
      const kind = rng.int(10);
      if (kind < 3) {
        checkFrame(index, randomFrame(rng, maxLength));
      } else if (kind < 9) {
        checkFrame(index, mutate(rng, rng.pick(seeds), seeds));
      } else {
        const count = 1 + rng.int(5);
        const frames: Buffer[] = [];
        for (let k = 0; k < count; k++) {
          const seed = rng.pick(seeds);
          frames.push(
            rng.chance(0.6) ? seed : rng.chance(0.5) ? mutate(rng, seed, seeds) : randomFrame(rng, maxLength),
          );
        }
        checkStream(index, frames);
      }
      const took = performance.now() - started;
      if (took > summary.slowestInputMs) summary.slowestInputMs = took;
      if (options.onProgress !== undefined && (index + 1) % progressEvery === 0)
        options.onProgress(index + 1);
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    watch.uninstall();
  }
  if (watch.largest > maxLength) {
    failures.add(-1, "no allocation over the frame maximum", `${watch.largest} octets`, Buffer.alloc(0));
  }
  return {
    ...summary,
    slowestInputMs: Math.round(summary.slowestInputMs * 100) / 100,
    largestAllocation: watch.largest,
    failureCount: failures.count,
    failures: failures.first,
  };
}

/**
 * Inputs a hostile peer would try first, run before the random ones (failures report index -1): lengths
 * at and around every bound, a length of 4 GB, and headers whose length disagrees with what follows.
 */
function edgeCaseStreams(maxLength: number): Buffer[] {
  const header = (length: number, id: number = CommandId.enquire_link) => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(length, 0);
    b.writeUInt32BE(id, 4);
    b.writeUInt32BE(1, 12);
    return b;
  };
  return [
    header(0xffffffff),
    header(0x80000000),
    header(maxLength + 1),
    header(maxLength),
    header(15),
    header(0),
    header(16),
    Buffer.from([0xff, 0xff]),
    header(17, CommandId.submit_sm),
  ];
}
