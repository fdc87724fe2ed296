/**
 * `npm run bench:smpp`: submit_sm round trips per second and their latency on ONE ClientSession, at
 * window 10 and window 100, against the SMSC simulator running in another process on loopback.
 * Each window keeps exactly `window` requests in flight (one loop per slot) for `BENCH_SECONDS`
 * (default 5) after a 1 s warm-up. Besides the rate it reports the CPU time per round trip of each
 * process (user + system): on a shared, busy machine the rate swings with what else runs, the CPU cost
 * does not. The last output line is the JSON summary (COMMON.md).
 *
 * Profiling: start the simulator yourself (e.g. `node --cpu-prof --import tsx bench/smpp-simulator-child.ts`,
 * it prints its port) and pass BENCH_PORT=<port>; BENCH_WINDOWS=10,100 picks the windows.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ClientSession } from "../src/smpp/net/client-session.js";
import type { SubmitSmBody } from "../src/smpp/net/types.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const windows = (process.env.BENCH_WINDOWS || "10,100").split(",").map(Number);

const body: SubmitSmBody = {
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
  registered_delivery: 0,
  replace_if_present_flag: 0,
  data_coding: 0,
  sm_default_msg_id: 0,
  short_message: Buffer.from("Your code is 123456. It expires in 10 minutes.", "latin1"),
};

interface SimulatorProcess {
  port: number;
  /** The simulator's CPU time so far in microseconds; undefined when it runs elsewhere (BENCH_PORT). */
  cpuMicros(): Promise<number | undefined>;
  stop(): Promise<void>;
}

async function startSimulator(): Promise<SimulatorProcess> {
  // BENCH_PORT: use a simulator started elsewhere (e.g. under `node --cpu-prof` for profiling).
  if (process.env.BENCH_PORT !== undefined) {
    return { port: Number(process.env.BENCH_PORT), cpuMicros: async () => undefined, stop: async () => {} };
  }
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      process.env.BENCH_CHILD ?? fileURLToPath(new URL("./smpp-simulator-child.ts", import.meta.url)),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, "line")) as [string];
  const { port } = JSON.parse(first) as { port: number };
  return {
    port,
    async cpuMicros() {
      child.stdin.write("cpu\n");
      const [line] = (await once(lines, "line")) as [string];
      return (JSON.parse(line) as { cpu_us: number }).cpu_us;
    },
    async stop() {
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}

interface Result {
  perSecond: number;
  p50: number;
  p99: number;
  count: number;
  /** CPU time per round trip in microseconds, user + system: independent of how busy the machine is. */
  clientCpuUs: number;
  simulatorCpuUs: number | undefined;
}

async function run(simulator: SimulatorProcess, window: number): Promise<Result> {
  const port = simulator.port;
  const session = new ClientSession({
    id: `bench-w${window}`,
    host: "127.0.0.1",
    port,
    systemId: "bench",
    password: "bench",
    window,
  });
  session.start();
  await session.whenBound(5000);

  let measuring = false;
  let running = true;
  let count = 0;
  // Latencies in microseconds, bucketed (1 µs resolution up to 1 s): no allocation per request.
  const histogram = new Uint32Array(1_000_001);
  const loop = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      await session.submit(body);
      if (measuring) {
        count++;
        const us = Math.min(1_000_000, Math.round((performance.now() - t0) * 1000));
        histogram[us] = (histogram[us] ?? 0) + 1;
      }
    }
  };
  const loops = Array.from({ length: window }, loop);
  await sleep(1000);
  const simCpu0 = await simulator.cpuMicros();
  const cpu0 = process.cpuUsage();
  measuring = true;
  const started = performance.now();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const simCpu1 = await simulator.cpuMicros();
  running = false;
  await Promise.all(loops);
  await session.close();
  return {
    perSecond: count / elapsed,
    p50: percentile(histogram, count, 0.5),
    p99: percentile(histogram, count, 0.99),
    count,
    clientCpuUs: (cpu.user + cpu.system) / count,
    simulatorCpuUs: simCpu0 === undefined || simCpu1 === undefined ? undefined : (simCpu1 - simCpu0) / count,
  };
}

function percentile(histogram: Uint32Array, count: number, q: number): number {
  const target = Math.ceil(count * q);
  let seen = 0;
  for (let us = 0; us < histogram.length; us++) {
    seen += histogram[us] ?? 0;
    if (seen >= target) return us / 1000;
  }
  return Number.NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const simulator = await startSimulator();
const metrics: Record<string, number> = {};
try {
  for (const window of windows) {
    const r = await run(simulator, window);
    console.log(
      `window ${String(window).padStart(3)}: ${Math.round(r.perSecond).toLocaleString("en")} submit_sm/s ` +
        `(${r.count} round trips in ${seconds} s), latency p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms; ` +
        `CPU per round trip: client ${r.clientCpuUs.toFixed(2)} µs, simulator ${r.simulatorCpuUs?.toFixed(2) ?? "?"} µs`,
    );
    metrics[`submit_per_s_window${window}`] = Math.round(r.perSecond);
    metrics[`latency_p50_ms_window${window}`] = Number(r.p50.toFixed(3));
    metrics[`latency_p99_ms_window${window}`] = Number(r.p99.toFixed(3));
    metrics[`client_cpu_us_per_submit_window${window}`] = Number(r.clientCpuUs.toFixed(2));
    if (r.simulatorCpuUs !== undefined) {
      metrics[`simulator_cpu_us_per_submit_window${window}`] = Number(r.simulatorCpuUs.toFixed(2));
    }
  }
} finally {
  await simulator.stop();
}
console.log(
  JSON.stringify({
    bench: "smpp",
    metrics,
    env: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? "unknown",
      seconds_per_window: seconds,
      simulator: "separate process, loopback",
    },
  }),
);
