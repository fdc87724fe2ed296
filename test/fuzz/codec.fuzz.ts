/**
 * `npm run fuzz [-- --seed N --inputs N]`: the codec fuzzer (codec-fuzz.ts) over a million inputs by
 * default. It runs in a worker so that this thread can tell a hang from slow progress: no input finished
 * for HANG_SECONDS means a loop that does not end, reported with the index to replay (same seed, same
 * index). Prints progress, a summary, and as its last line one JSON object. Exit 1 on any finding.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type FuzzSummary, runCodecFuzz } from "./codec-fuzz.js";

/** Default seed, so that two runs without flags fuzz the same inputs. */
const DEFAULT_SEED = 0x5eed2026;
const DEFAULT_INPUTS = 1_000_000;
/** No progress for this long (seconds) is a hang; far above the slowest input seen on a busy machine. */
const HANG_SECONDS = 60;
/** The worker reports progress every this many inputs. */
const PROGRESS_EVERY = 1000;

interface Job {
  seed: number;
  inputs: number;
  progress: Int32Array;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} wants a non-negative integer`);
    process.exit(2);
  }
  return value;
}

function runWorker(): void {
  const job = workerData as Job;
  const summary = runCodecFuzz({
    seed: job.seed,
    inputs: job.inputs,
    progressEvery: PROGRESS_EVERY,
    // Only a counter: the worker's own console output would wait for its busy event loop.
    onProgress: (done) => Atomics.store(job.progress, 0, done),
  });
  parentPort?.postMessage(summary);
}

async function main(): Promise<void> {
  const seed = flag("seed", DEFAULT_SEED);
  const inputs = flag("inputs", DEFAULT_INPUTS);
  const progress = new Int32Array(new SharedArrayBuffer(4));
  console.log(`codec fuzz: seed ${seed} (0x${seed.toString(16)}), ${inputs.toLocaleString("en-US")} inputs`);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  // A worker does not inherit tsx's loader: it loads this file through tsx's API.
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const self = JSON.stringify(import.meta.url);
  const bootstrap = `import(${tsx}).then((tsx) => tsx.tsImport(${self}, ${self}));`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { seed, inputs, progress } satisfies Job });
  let last = -1;
  let stalledSince = performance.now();
  let hang: number | null = null;
  const watchdog = setInterval(() => {
    const done = Atomics.load(progress, 0);
    if (done !== last) {
      if (Math.floor(done / 100_000) > Math.floor(Math.max(last, 0) / 100_000)) {
        console.log(
          `  ${done.toLocaleString("en-US")} inputs, ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
      }
      last = done;
      stalledSince = performance.now();
    } else if (performance.now() - stalledSince > HANG_SECONDS * 1000) {
      hang = done;
      void worker.terminate();
    }
  }, 1000);
  const summary = await new Promise<FuzzSummary | null>((resolve, reject) => {
    worker.once("message", (s: FuzzSummary) => resolve(s));
    worker.once("error", reject);
    worker.once("exit", () => resolve(null));
  });
  clearInterval(watchdog);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // The worker's CPU time is in the process total; the main thread only polls once a second.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (summary === null) {
    const at = hang ?? Atomics.load(progress, 0);
    console.log(
      `HANG: no input finished for ${HANG_SECONDS} s after input ${at}; replay with --seed ${seed}`,
    );
    console.log(
      JSON.stringify({ fuzz: "codec", seed, inputs, hang_after_input: at, failures: 1, ok: false }),
    );
    process.exit(1);
  }
  console.log(
    `decoded ${summary.decoded.toLocaleString("en-US")} (${summary.keptRaw.toLocaleString("en-US")} with a known TLV kept raw for its length); decode errors by status:`,
  );
  for (const [name, count] of Object.entries(summary.decodeErrors).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${name.padEnd(24)} ${count.toLocaleString("en-US")}`);
  }
  console.log(
    `streams ${summary.streams.toLocaleString("en-US")} (${summary.framesFromStreams.toLocaleString("en-US")} frames, ${summary.framingErrors.toLocaleString("en-US")} framing errors); receipts parsed ${summary.receiptsParsed.toLocaleString("en-US")}`,
  );
  console.log(
    `largest allocation ${summary.largestAllocation} octets (maximum 65536); slowest input ${summary.slowestInputMs} ms; ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s CPU)`,
  );
  for (const f of summary.failures)
    console.log(`FAIL #${f.index} ${f.check}: ${f.message}\n  input ${f.input}`);
  console.log(`${summary.failureCount} findings`);
  console.log(
    JSON.stringify({
      fuzz: "codec",
      seed,
      inputs,
      seconds: Number(seconds.toFixed(1)),
      cpu_seconds: Number(cpuSeconds.toFixed(1)),
      inputs_per_s: Math.round(inputs / seconds),
      inputs_per_cpu_s: Math.round(inputs / cpuSeconds),
      decoded: summary.decoded,
      decode_errors: Object.values(summary.decodeErrors).reduce((a, b) => a + b, 0),
      kept_raw: summary.keptRaw,
      streams: summary.streams,
      framing_errors: summary.framingErrors,
      receipts_parsed: summary.receiptsParsed,
      largest_allocation: summary.largestAllocation,
      slowest_input_ms: summary.slowestInputMs,
      failures: summary.failureCount,
      ok: summary.failureCount === 0,
    }),
  );
  process.exit(summary.failureCount === 0 ? 0 : 1);
}

if (isMainThread) await main();
else runWorker();
