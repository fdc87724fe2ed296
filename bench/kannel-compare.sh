#!/usr/bin/env bash
# smpp-bridge beside Kannel 1.4.5 in one sitting (issue 5 "Speed"), with the shared comparison harness
# (a copy of ../shared/bench/kannel-compare; see its README, "Measuring the new bridge against the same
# anchor"). Both sides get the same SMSC simulator, webhook sink, load generator and scenarios, run
# after one another, one fresh stack per run, runs interleaved (Kannel, bridge, Kannel, bridge …) so a
# change in the machine's load hits both. The harness writes beside itself, so it must be a copy:
#
#   cp -r <shared>/bench/kannel-compare /tmp/kannel-compare && chmod -R u+w /tmp/kannel-compare
#   (cd /tmp/kannel-compare && ./setup.sh)          # apt-get install kannel; npm ci
#   npm run bench:kannel                            # or: bench/kannel-compare.sh [HARNESS_DIR]
#
# Scenarios (SCENARIOS, default all three; like the harness README's Kannel runs):
#   inorder      receipts in order after 100 ms (DLR_DELAY_MS=100), C in CONCS (default "50 200"), N
#   jitter10s    receipts out of order, 0–10 s (DLR_DELAY_MS=0 DLR_JITTER_MS=10000), C=50, N
#   throttle1000 the simulator answers ESME_RTHROTTLED above 1000 submit_sm/s (SIM_THROTTLE=1000),
#                C=50, N_THROTTLE (default 5000), RUNS_THROTTLE (default 1); throttle<R> sets another
#                rate (e.g. throttle200: a busy machine may never reach 1000/s, so nothing is throttled)
# Knobs (environment):
#   KANNEL_COMPARE_DIR  harness copy (or the first argument); default /tmp/kannel-compare
#   SIDES="kannel bridge"  which side(s) to run
#   N=20000 RUNS=3      requests per run and runs per scenario and concurrency
#   BRIDGE_SESSIONS=1 BRIDGE_WINDOW=100  SMPP binds and window per bind (1 × 100 mirrors the harness's
#                       Kannel: one transceiver bind, max-pending-submits 100); 2 sessions also work
#   BRIDGE_POOL=10      the service's DATABASE_POOL_SIZE
#   BRIDGE_RUNNER=dist  dist: `npm run build` then `node dist/src/cli.js serve`; tsx: the sources
#   BRIDGE_BUILD=1      0 skips the build (dist already built)
#   BRIDGE_LOG_LEVEL=warn  LOG_LEVEL of the service (its output: <harness>/run/bridge.log)
#   BRIDGE_PROFILE_DIR  when set, each bridge run writes a V8 CPU profile of the service there
#   DATABASE_URL        PostgreSQL server for the bridge (default postgres://postgres@127.0.0.1:5432/postgres);
#                       every bridge run creates a fresh migrated database there and drops it after
#   MAX_SECONDS=300 DLR_WAIT_S=300  bounds of one run's send phase and callback wait (as run-bench.sh)
# Output: <harness>/results/compare-<UTC stamp>-{kannel,bridge}.jsonl (one line per run) and
# <harness>/results/compare-<UTC stamp>.md: the harness's summarize.mjs table of both, also printed;
# then the simulator's throttled count per run, and last one JSON line (bench/kannel-summary.ts).
# Reading it: "DLR ok" only says the callbacks matched the *accepted* requests; check "errors" too.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="$(cd "${1:-${KANNEL_COMPARE_DIR:-/tmp/kannel-compare}}" && pwd)"
SIDES="${SIDES:-kannel bridge}"
SCENARIOS="${SCENARIOS:-inorder jitter10s throttle1000}"
N="${N:-20000}"
RUNS="${RUNS:-3}"
CONCS="${CONCS:-50 200}"
N_THROTTLE="${N_THROTTLE:-5000}"
RUNS_THROTTLE="${RUNS_THROTTLE:-1}"
BRIDGE_SESSIONS="${BRIDGE_SESSIONS:-1}"
BRIDGE_WINDOW="${BRIDGE_WINDOW:-100}"
BRIDGE_POOL="${BRIDGE_POOL:-10}"
BRIDGE_RUNNER="${BRIDGE_RUNNER:-dist}"
BRIDGE_BUILD="${BRIDGE_BUILD:-1}"
BRIDGE_LOG_LEVEL="${BRIDGE_LOG_LEVEL:-warn}"
MAX_SECONDS="${MAX_SECONDS:-300}"
DLR_WAIT_S="${DLR_WAIT_S:-300}"
export MAX_SECONDS DLR_WAIT_S

for f in http-load.mjs kannel-up.sh kannel-down.sh run-bench.sh summarize.mjs; do
  [ -e "$HARNESS/$f" ] || { echo "$HARNESS is not the Kannel comparison harness (no $f)" >&2; exit 2; }
done
[ -d "$HARNESS/node_modules/undici" ] || { echo "run $HARNESS/setup.sh first" >&2; exit 2; }
[ -w "$HARNESS" ] || { echo "$HARNESS is read-only: work on a copy (cp -r … /tmp/kannel-compare)" >&2; exit 2; }
mkdir -p "$HARNESS/results" "$HARNESS/run"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
KOUT="$HARNESS/results/compare-$STAMP-kannel.jsonl"
BOUT="$HARNESS/results/compare-$STAMP-bridge.jsonl"
TABLE="$HARNESS/results/compare-$STAMP.md"

helper=""
cleanup() {
  if [ -n "$helper" ] && kill -0 "$helper" 2>/dev/null; then
    kill -TERM "$helper" 2>/dev/null # it stops the service and drops its database itself
    for _ in $(seq 1 300); do kill -0 "$helper" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$helper" 2>/dev/null && kill -KILL "$helper" 2>/dev/null
  fi
  "$HARNESS/kannel-down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$HARNESS/kannel-down.sh" >/dev/null

if [[ " $SIDES " == *" bridge "* && "$BRIDGE_RUNNER" == "dist" && "$BRIDGE_BUILD" != "0" ]]; then
  echo "building smpp-bridge (npm run build)"
  (cd "$REPO" && npm run -s build) || { echo "build failed; BRIDGE_RUNNER=tsx runs the sources" >&2; exit 1; }
fi

failures=0
SIMCOUNTS="$HARNESS/results/compare-$STAMP-sim.txt"

# sim_counts <label>: the simulator's own counters of the run just stopped (its log is run/sim.log
# until the next kannel-up.sh): submits, throttled answers, receipts; one line to $SIMCOUNTS.
sim_counts() {
  node -e '
    const fs = require("node:fs");
    let last = {}, exit = {};
    for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const o = JSON.parse(line);
      if (o.ev === "exit") exit = o; else if ("throttled" in o) last = o;
    }
    console.log(`${process.argv[2]}: simulator submit_sm ${exit.submits ?? last.submits ?? "?"}, ` +
      `ESME_RTHROTTLED ${last.throttled ?? 0}, receipts sent ${exit.dlr_sent ?? last.dlr_sent ?? "?"}`);
  ' "$HARNESS/run/sim.log" "$1" | tee -a "$SIMCOUNTS" || true
}

# kannel_run <scenario> <N> <C> <r> <scenario env…>: one run with the harness's own driver, fresh
# stack (run-bench.sh labels it …-r1 whatever r is; summarize.mjs groups the runs all the same).
kannel_run() {
  local scn="$1" n="$2" c="$3" r="$4"; shift 4
  env "$@" RUNS=1 CONCS="$c" N="$n" TAG="kannel-$scn" OUT="$KOUT" "$HARNESS/run-bench.sh" \
    | grep '^\[' || { echo "kannel $scn c=$c failed" >&2; failures=$((failures + 1)); }
  sim_counts "kannel-$scn-c$c-r$r"
}

# bridge_run <scenario> <N> <C> <r> <scenario env…>: simulator + sink from the harness, then the
# service, provisioning and http-load.mjs by bench/kannel-bridge.ts.
bridge_run() {
  local scn="$1" n="$2" c="$3" r="$4"; shift 4
  if ! env "$@" SKIP_KANNEL=1 "$HARNESS/kannel-up.sh" >/dev/null; then
    echo "bridge $scn c=$c: kannel-up.sh (simulator + sink) failed" >&2; failures=$((failures + 1)); return
  fi
  (cd "$REPO" && exec node --import tsx bench/kannel-bridge.ts --harness "$HARNESS" \
    --label "bridge-$scn-c$c-r$r" --out "$BOUT" -n "$n" -c "$c" \
    --sessions "$BRIDGE_SESSIONS" --window "$BRIDGE_WINDOW" --pool "$BRIDGE_POOL" \
    --runner "$BRIDGE_RUNNER" --log-level "$BRIDGE_LOG_LEVEL" \
    --max-seconds "$MAX_SECONDS" --dlr-wait-s "$DLR_WAIT_S" --stall-s 60) &
  helper=$!
  wait "$helper" || { echo "bridge $scn c=$c failed (see $HARNESS/run/bridge.log)" >&2; failures=$((failures + 1)); }
  helper=""
  "$HARNESS/kannel-down.sh" >/dev/null
  sim_counts "bridge-$scn-c$c-r$r"
}

# scenario <name> <N> <runs> <concurrencies> <env…>: every run of both sides, interleaved.
scenario() {
  local scn="$1" n="$2" runs="$3" concs="$4"; shift 4
  local r c
  for r in $(seq 1 "$runs"); do
    for c in $concs; do
      if [[ " $SIDES " == *" kannel "* ]]; then kannel_run "$scn" "$n" "$c" "$r" "$@"; fi
      if [[ " $SIDES " == *" bridge "* ]]; then bridge_run "$scn" "$n" "$c" "$r" "$@"; fi
    done
  done
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for scn in $SCENARIOS; do
  case "$scn" in
    inorder) scenario inorder "$N" "$RUNS" "$CONCS" DLR_DELAY_MS=100 DLR_JITTER_MS=0 SIM_THROTTLE=0 ;;
    jitter10s) scenario jitter10s "$N" "$RUNS" 50 DLR_DELAY_MS=0 DLR_JITTER_MS=10000 SIM_THROTTLE=0 ;;
    throttle[0-9]*)
      scenario "$scn" "$N_THROTTLE" "$RUNS_THROTTLE" 50 DLR_DELAY_MS=100 DLR_JITTER_MS=0 SIM_THROTTLE="${scn#throttle}" ;;
    *) echo "unknown scenario $scn (inorder jitter10s throttle<submit_sm/s>)" >&2; exit 2 ;;
  esac
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

files=()
for f in "$KOUT" "$BOUT"; do [ -s "$f" ] && files+=("$f"); done
[ "${#files[@]}" -gt 0 ] || { echo "no results" >&2; exit 1; }
{
  echo "# smpp-bridge beside Kannel 1.4.5, $STAMP"
  echo
  echo "Sides: $SIDES. Scenarios: $SCENARIOS. N=$N (throttle: $N_THROTTLE), runs $RUNS (throttle: $RUNS_THROTTLE)."
  echo "Bridge: $BRIDGE_SESSIONS session(s) × window $BRIDGE_WINDOW, database pool $BRIDGE_POOL, LOG_LEVEL $BRIDGE_LOG_LEVEL, $BRIDGE_RUNNER."
  echo "Load average (1/5/15 min) before: $load_before, after: $load_after; $(nproc) cores, $(node --version)."
  echo "Bridge e2e counts message.delivered callbacks only (it also posts message.sent to the same URL);"
  echo "its postgres column is the CPU of the PostgreSQL backends serving the run's database."
  echo
  node "$HARNESS/summarize.mjs" "${files[@]}"
  echo
  [ -s "$SIMCOUNTS" ] && cat "$SIMCOUNTS" && echo
  echo "raw: ${files[*]}"
} | tee "$TABLE"
echo "table: $TABLE"
[ "$failures" -eq 0 ] || echo "$failures run(s) failed" >&2
# last line: one JSON summary (DESIGN.md §4), medians per side, scenario and concurrency
env_json="$(printf '{"load_average_before":"%s","load_average_after":"%s","cores":%s,"node":"%s","messages_per_run":%s,"messages_throttle":%s,"runs":%s,"runs_throttle":%s,"bridge_sessions":%s,"bridge_window":%s,"bridge_database_pool":%s,"bridge_runner":"%s","bridge_log_level":"%s","kannel_max_pending_submits":100,"failed_runs":%s,"results":"%s"}' \
  "$load_before" "$load_after" "$(nproc)" "$(node --version)" "$N" "$N_THROTTLE" "$RUNS" "$RUNS_THROTTLE" \
  "$BRIDGE_SESSIONS" "$BRIDGE_WINDOW" "$BRIDGE_POOL" "$BRIDGE_RUNNER" "$BRIDGE_LOG_LEVEL" "$failures" "$TABLE")"
(cd "$REPO" && node --import tsx bench/kannel-summary.ts "$env_json" "${files[@]}")
[ "$failures" -eq 0 ]
