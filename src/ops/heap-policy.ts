/**
 * V8 heap settings for the long-running service. The service allocates fast and much of it lives for
 * a few hundred milliseconds (requests, messages in flight, claimed webhook rows): with V8's defaults
 * those objects outlive the young generation, and the old generation was left to grow to ~200 MB of
 * mostly garbage (45 MB live) before a full collection, so the process sat at ~300 MB resident.
 *
 * - A 32 MB semi-space lets most of them die young. V8 reads it only at start, so it is a command-line
 *   flag ({@link SERVICE_NODE_FLAGS}: `npm start`, the Dockerfile and the benchmarks pass it).
 * - Heap growth of 1.5× per full collection (instead of up to 4×) collects the old generation sooner.
 *   V8 reads this one at each collection, so the service sets it itself.
 *
 * Together, in bench:e2e at 200 concurrent requests: peak RSS 300 → ~225 MB for ~8 % more service CPU
 * and the same throughput. A flag given explicitly (command line or NODE_OPTIONS) wins.
 */
import { setFlagsFromString } from "node:v8";

/** Flags for the `node` command that runs the service. */
export const SERVICE_NODE_FLAGS = ["--max-semi-space-size=32"] as const;

/**
 * The heap growth flag the service sets at start, or undefined when the process was started with one
 * of its own (command line or NODE_OPTIONS; V8 takes `-` and `_` alike).
 */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions = ""): string | undefined {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  if (given.some((flag) => flag.replaceAll("_", "-").startsWith("--heap-growing-percent"))) return undefined;
  return "--heap-growing-percent=50";
}

/** Applies {@link heapGrowthFlag} to this process. */
export function tuneHeap(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag !== undefined) setFlagsFromString(flag);
}
