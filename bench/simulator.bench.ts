/**
 * `npm run bench:simulator`: how many submit_sm per second the SMSC simulator answers on ONE connection
 * with a deep window, so we know it is never the bottleneck of another benchmark (goal ≥ 100,000/s).
 *
 * The simulator runs as `smpp-bridge simulator` in a child process; this process is a deliberately raw
 * client: one pre-encoded submit_sm whose sequence number is patched in place, written in batches to
 * keep `window` requests outstanding, responses counted from their 16-octet header. Runs:
 * - window 1000 and window 100 without receipts;
 * - window 1000 with registered_delivery=1 (receipt after 0 ms), every deliver_sm answered: submits and
 *   receipts per second through the same connection.
 * Each run lasts BENCH_SECONDS (default 5) after a 1 s warm-up. The last line is the JSON summary.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { encodePdu } from "../src/smpp/codec.js";
import { CommandId } from "../src/smpp/commands.js";
import type { Pdu } from "../src/smpp/pdu.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_MS = 1000;

interface SimulatorProcess {
  port: number;
  /** The simulator's CPU time so far in microseconds, when /proc shows it (Linux); else undefined. */
  cpuMicros(): number | undefined;
  stop(): Promise<void>;
}

/** utime + stime of a process from /proc/<pid>/stat, in microseconds (clock ticks of 10 ms). */
function procCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10_000 : undefined;
  } catch {
    return undefined;
  }
}

async function startSimulator(): Promise<SimulatorProcess> {
  // BENCH_PORT: use a simulator started elsewhere (e.g. under `node --cpu-prof` for profiling).
  if (process.env.BENCH_PORT !== undefined) {
    return { port: Number(process.env.BENCH_PORT), cpuMicros: () => undefined, stop: async () => {} };
  }
  const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cli, "simulator", "--port", "0", "--dlr-delay-ms", "0"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  let port = 0;
  for await (const line of lines) {
    const m = /listening on smpp:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (m) {
      port = Number(m[1]);
      break;
    }
  }
  if (port === 0) throw new Error("the simulator did not start");
  // Keep draining its log so it never blocks on a full pipe.
  lines.on("line", () => {});
  return {
    port,
    cpuMicros: () => procCpuMicros(child.pid),
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function frame(pdu: Pdu): Buffer {
  return encodePdu(pdu);
}

function submitFrame(registeredDelivery: number): Buffer {
  return frame({
    command: "submit_sm",
    command_status: 0,
    sequence_number: 1,
    service_type: "",
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: "Bench",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: "447700900123",
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: registeredDelivery,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from("Your code is 123456. It expires in 10 minutes.", "latin1"),
  });
}

interface RunResult {
  submitsPerSecond: number;
  receiptsPerSecond: number;
  errors: number;
  /** Simulator CPU time per submit (its receipt included, if any), in microseconds. */
  cpuUsPerSubmit: number | undefined;
}

/** Binds a transceiver, then keeps `window` submits outstanding for the warm-up plus `seconds`. */
async function run(simulator: SimulatorProcess, window: number, receipts: boolean): Promise<RunResult> {
  const port = simulator.port;
  const socket: Socket = connect({ port, host: "127.0.0.1" });
  socket.setNoDelay(true);
  await once(socket, "connect");

  const template = submitFrame(receipts ? 1 : 0);
  const deliverResp = Buffer.alloc(17);
  deliverResp.writeUInt32BE(17, 0);
  deliverResp.writeUInt32BE(CommandId.deliver_sm_resp, 4);

  let seq = 1;
  let outstanding = 0;
  let responses = 0;
  let receiptCount = 0;
  let errors = 0;
  let bound = false;
  let measuring = false;
  let running = true;
  let pending: Buffer = Buffer.alloc(0);
  let boundResolve: () => void = () => {};
  const boundPromise = new Promise<void>((resolve) => {
    boundResolve = resolve;
  });

  const fill = (): void => {
    if (!running || !bound) return;
    const n = window - outstanding;
    if (n <= 0) return;
    const batch = Buffer.allocUnsafe(template.length * n);
    for (let i = 0; i < n; i++) {
      const at = i * template.length;
      template.copy(batch, at);
      seq = seq >= 0x7fffffff ? 1 : seq + 1;
      batch.writeUInt32BE(seq, at + 12);
    }
    outstanding += n;
    socket.write(batch);
  };

  socket.on("data", (chunk: Buffer) => {
    let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    const replies: Buffer[] = [];
    while (buf.length - off >= 16) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off < len) break;
      const id = buf.readUInt32BE(off + 4);
      if (id === CommandId.submit_sm_resp) {
        outstanding -= 1;
        if (buf.readUInt32BE(off + 8) !== 0) errors += 1;
        if (measuring) responses += 1;
      } else if (id === CommandId.deliver_sm) {
        const reply = Buffer.from(deliverResp);
        reply.writeUInt32BE(buf.readUInt32BE(off + 12), 12);
        replies.push(reply);
        if (measuring) receiptCount += 1;
      } else if (id === CommandId.bind_transceiver_resp) {
        bound = true;
        boundResolve();
      }
      off += len;
    }
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
    buf = pending;
    if (replies.length > 0) socket.write(Buffer.concat(replies));
    fill();
  });

  socket.write(
    frame({
      command: "bind_transceiver",
      command_status: 0,
      sequence_number: 1,
      system_id: "bench",
      password: "bench",
      system_type: "",
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: "",
    }),
  );
  await boundPromise;
  fill();

  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const cpu0 = simulator.cpuMicros();
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu1 = simulator.cpuMicros();
  running = false;
  socket.destroy();
  await once(socket, "close");
  return {
    submitsPerSecond: Math.round(responses / elapsed),
    receiptsPerSecond: Math.round(receiptCount / elapsed),
    errors,
    cpuUsPerSubmit:
      cpu0 === undefined || cpu1 === undefined || responses === 0 ? undefined : (cpu1 - cpu0) / responses,
  };
}

const simulator = await startSimulator();
// BENCH_ONLY=receipts runs only the receipts case (for profiling it).
const all = process.env.BENCH_ONLY !== "receipts";
const skipped: RunResult = {
  submitsPerSecond: 0,
  receiptsPerSecond: 0,
  errors: 0,
  cpuUsPerSubmit: undefined,
};
const cpuNote = (r: RunResult): string =>
  r.cpuUsPerSubmit === undefined ? "" : ` (simulator CPU ${r.cpuUsPerSubmit.toFixed(2)} µs per submit)`;
try {
  const deep = all ? await run(simulator, 1000, false) : skipped;
  console.log(
    `window 1000, no receipts: ${deep.submitsPerSecond.toLocaleString("en-US")} submit_sm/s${cpuNote(deep)}`,
  );
  const w100 = all ? await run(simulator, 100, false) : skipped;
  console.log(
    `window 100, no receipts:  ${w100.submitsPerSecond.toLocaleString("en-US")} submit_sm/s${cpuNote(w100)}`,
  );
  const dlr = await run(simulator, 1000, true);
  console.log(
    `window 1000, receipts:    ${dlr.submitsPerSecond.toLocaleString("en-US")} submit_sm/s, ` +
      `${dlr.receiptsPerSecond.toLocaleString("en-US")} receipts/s${cpuNote(dlr)}`,
  );
  const cpuMetric = (name: string, r: RunResult): Record<string, number> =>
    r.cpuUsPerSubmit === undefined ? {} : { [name]: Number(r.cpuUsPerSubmit.toFixed(2)) };
  const errors = deep.errors + w100.errors + dlr.errors;
  if (errors > 0) console.log(`${errors} submits answered with an error`);
  console.log(
    JSON.stringify({
      bench: "simulator",
      metrics: {
        submit_per_s_window_1000: deep.submitsPerSecond,
        submit_per_s_window_100: w100.submitsPerSecond,
        submit_per_s_with_receipts: dlr.submitsPerSecond,
        receipts_per_s: dlr.receiptsPerSecond,
        submit_errors: errors,
        ...cpuMetric("simulator_cpu_us_per_submit_window_1000", deep),
        ...cpuMetric("simulator_cpu_us_per_submit_window_100", w100),
        ...cpuMetric("simulator_cpu_us_per_submit_with_receipt", dlr),
      },
      env: {
        node: process.version,
        cpu: os.cpus()[0]?.model ?? "unknown",
        cores: os.cpus().length,
        seconds,
        warmup_ms: WARMUP_MS,
        simulator: "child process (smpp-bridge simulator)",
      },
    }),
  );
} finally {
  await simulator.stop();
}
