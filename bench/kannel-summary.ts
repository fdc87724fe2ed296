/**
 * The last line of bench/kannel-compare.sh (DESIGN.md §4: every bench ends with one JSON line): the
 * medians per side, scenario and concurrency of the harness's http-load.mjs result lines, named
 * `<side>_<scenario>_c<C>_<metric>` (side `kannel` or `bridge`), plus the runs that lost or
 * duplicated a callback. The harness's summarize.mjs prints the human table; this is for machines.
 *
 * Usage: node --import tsx bench/kannel-summary.ts '<env JSON>' results.jsonl…
 */
import { readFileSync } from "node:fs";

interface LoadLine {
  label: string;
  accepted_per_s: number;
  e2e_msgs_per_s: number | null;
  lat_ms: { p50: number; p99: number };
  http_errors: number;
  net_errors: number;
  accepted: number;
  dlr: { received: number; dup: number; complete: boolean } | null;
  procs: Record<string, { cpu_s_total: number }>;
}

const [envText = "{}", ...files] = process.argv.slice(2);
const groups = new Map<string, LoadLine[]>();
for (const file of files) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const result = JSON.parse(line) as LoadLine;
    // labels are <side>-<scenario>-c<C>-r<run>; run-bench.sh numbers every Kannel run r1
    const key = result.label.replace(/-r\d+$/, "").replaceAll("-", "_");
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  const value =
    sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.round(value * 10) / 10;
}

const metrics: Record<string, number> = {};
for (const [key, runs] of groups) {
  metrics[`${key}_accepted_per_s`] = median(runs.map((r) => r.accepted_per_s));
  metrics[`${key}_e2e_msg_per_s`] = median(runs.map((r) => r.e2e_msgs_per_s ?? 0));
  metrics[`${key}_accept_p50_ms`] = median(runs.map((r) => r.lat_ms.p50));
  metrics[`${key}_accept_p99_ms`] = median(runs.map((r) => r.lat_ms.p99));
  const cpu = runs.map((r) => Object.values(r.procs).reduce((sum, p) => sum + (p.cpu_s_total ?? 0), 0));
  metrics[`${key}_cpu_s_all_processes`] = median(cpu);
  metrics[`${key}_errors`] = runs.reduce((sum, r) => sum + r.http_errors + r.net_errors, 0);
  metrics[`${key}_runs_missing_callbacks`] = runs.filter((r) => !r.dlr?.complete).length;
  metrics[`${key}_duplicate_callbacks`] = runs.reduce((sum, r) => sum + (r.dlr?.dup ?? 0), 0);
}
console.log(JSON.stringify({ bench: "kannel", metrics, env: JSON.parse(envText) as unknown }));
