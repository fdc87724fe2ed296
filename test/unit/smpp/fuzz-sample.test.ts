/**
 * The CI sample of the codec fuzzer (the full run is `npm run fuzz`, a million inputs): the same
 * generators and checks on a fixed seed, so a failure here replays with `npm run fuzz -- --seed <seed>
 * --inputs <n>` and the index it reports.
 */
import { expect, test } from "vitest";
import { runCodecFuzz } from "../../fuzz/codec-fuzz.js";

const SEED = 0x5eed2026;
const INPUTS = 25_000;

test(`${INPUTS.toLocaleString("en-US")} fuzzed inputs (seed ${SEED}): only typed errors, fixed points, frames as cut, bounded allocation`, () => {
  const summary = runCodecFuzz({ seed: SEED, inputs: INPUTS });
  expect(summary.failures).toEqual([]);
  expect(summary.failureCount).toBe(0);
  // The largest frame the Framer may allocate is the maximum itself (a 64 KiB command_length is legal).
  expect(summary.largestAllocation).toBeLessThanOrEqual(65536);
  // The generators reach every path the checks are about, so a silent generator cannot pass.
  expect(summary.decoded).toBeGreaterThan(INPUTS / 10);
  expect(Object.keys(summary.decodeErrors)).toEqual(
    expect.arrayContaining(["ESME_RINVCMDLEN", "ESME_RINVCMDID", "ESME_RINVOPTPARSTREAM", "ESME_RINVPARLEN"]),
  );
  expect(summary.keptRaw).toBeGreaterThan(0);
  expect(summary.streams).toBeGreaterThan(INPUTS / 20);
  expect(summary.framingErrors).toBeGreaterThan(0);
  expect(summary.receiptsParsed).toBeGreaterThan(0);
}, 300_000);
