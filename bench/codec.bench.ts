/**
 * Codec throughput on one core: encode and decode of a typical 160-character submit_sm, decode of a
 * delivery-receipt deliver_sm (and, for information, that decode followed by parseReceipt). Each case runs
 * for a fixed time after a warm-up; the median of several rounds is reported.
 *
 * Rates are PDUs per second of this process's CPU time: the machine is shared (often by more runnable
 * processes than cores), and wall-clock rates then measure the scheduler rather than the codec. The
 * wall-clock rates are reported too, as `*_wall_per_s`. Last line: one JSON summary.
 */
import { cpus, loadavg } from "node:os";
import { decodePdu, encodePdu, type PduOf } from "../src/smpp/index.js";
import { parseReceipt } from "../src/smpp/receipt.js";
import { encodeGsm7 } from "../src/smpp/text/index.js";

/** Duration of one measured round, in milliseconds. */
const ROUND_MS = 500;
/** Measured rounds per case; the median is reported. */
const ROUNDS = 5;

const submit: PduOf<"submit_sm"> = {
  command: "submit_sm",
  command_status: 0,
  sequence_number: 1,
  service_type: "",
  source_addr_ton: 5,
  source_addr_npi: 0,
  source_addr: "MyBrand",
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: "4915112345678",
  esm_class: 0,
  protocol_id: 0,
  priority_flag: 0,
  schedule_delivery_time: "",
  validity_period: "",
  registered_delivery: 1,
  replace_if_present_flag: 0,
  data_coding: 0,
  sm_default_msg_id: 0,
  // 160 unpacked GSM septets, as DCS 0 carries them on SMPP.
  short_message: encodeGsm7(
    "Your verification code is 482913. It expires in 10 minutes. ".repeat(3).slice(0, 160),
  ),
};

const receiptText =
  "id:5F2A9C01 sub:001 dlvrd:001 submit date:2611260105 done date:2611260106 stat:DELIVRD err:000 text:Hello world";
const receipt: PduOf<"deliver_sm"> = {
  ...submit,
  command: "deliver_sm",
  sequence_number: 11,
  source_addr_ton: 1,
  source_addr_npi: 1,
  source_addr: "4915112345678",
  dest_addr_ton: 5,
  dest_addr_npi: 0,
  destination_addr: "MyBrand",
  esm_class: 0x04,
  registered_delivery: 0,
  short_message: Buffer.from(receiptText, "latin1"),
  tlvs: { receipted_message_id: "5F2A9C01", message_state: 2 },
};

interface Rate {
  /** PDUs per CPU-second of this process. */
  cpu: number;
  /** PDUs per wall-clock second. */
  wall: number;
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0);
}

function measure(name: string, op: (i: number) => number): Rate {
  let sink = 0;
  const warmUntil = performance.now() + ROUND_MS;
  for (let i = 0; performance.now() < warmUntil; i++) sink += op(i);
  const cpuRates: number[] = [];
  const wallRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let count = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      for (let i = 0; i < 1000; i++) sink += op(i);
      count += 1000;
      now = performance.now();
    }
    cpuRates.push((count * 1e6) / Math.max(1, cpuMicros(cpuStart)));
    wallRates.push((count * 1000) / (now - start));
  }
  const rate = { cpu: median(cpuRates), wall: median(wallRates) };
  console.log(
    `${name.padEnd(34)} ${rate.cpu.toLocaleString("en-US").padStart(11)} PDUs/CPU-s ${rate.wall.toLocaleString("en-US").padStart(11)} PDUs/s wall (sink ${sink % 7})`,
  );
  return rate;
}

const submitBytes = encodePdu(submit);
const receiptBytes = encodePdu(receipt);
if (submit.short_message.length !== 160) throw new Error("the submit_sm must carry 160 septets");
console.log(`submit_sm ${submitBytes.length} octets, receipt deliver_sm ${receiptBytes.length} octets`);

const encodeSubmit = measure("encode submit_sm", (i) => {
  submit.sequence_number = i + 1;
  return encodePdu(submit).length;
});
const decodeSubmit = measure("decode submit_sm", () => {
  const pdu = decodePdu(submitBytes);
  return pdu.command === "submit_sm" ? pdu.short_message.length : 0;
});
const decodeDlr = measure("decode receipt deliver_sm", () => {
  const pdu = decodePdu(receiptBytes);
  return pdu.command === "deliver_sm" ? (pdu.tlvs?.message_state ?? 0) + pdu.esm_class : 0;
});
const parseDlr = measure("decode + parseReceipt deliver_sm", () => {
  const pdu = decodePdu(receiptBytes);
  return pdu.command === "deliver_sm" ? (parseReceipt(pdu).state ?? 0) : 0;
});

const metrics = {
  encode_submit_sm_per_s: encodeSubmit.cpu,
  decode_submit_sm_per_s: decodeSubmit.cpu,
  decode_dlr_per_s: decodeDlr.cpu,
  decode_parse_dlr_per_s: parseDlr.cpu,
  encode_submit_sm_wall_per_s: encodeSubmit.wall,
  decode_submit_sm_wall_per_s: decodeSubmit.wall,
  decode_dlr_wall_per_s: decodeDlr.wall,
  decode_parse_dlr_wall_per_s: parseDlr.wall,
};

console.log(
  JSON.stringify({
    bench: "codec",
    metrics,
    env: {
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      round_ms: ROUND_MS,
      rounds: ROUNDS,
      clock: "process CPU time (wall-clock in *_wall_per_s)",
      loadavg_1m: Number(loadavg()[0]?.toFixed(2)),
    },
  }),
);
