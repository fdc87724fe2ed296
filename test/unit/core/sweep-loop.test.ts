import { expect, test } from "vitest";
import { SweepLoop } from "../../../src/core/sweep-loop.js";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("runs at once, then an interval after each run ends, never two at once; a failure does not stop it", async () => {
  let runs = 0;
  let inFlight = 0;
  let most = 0;
  const errors: unknown[] = [];
  const loop = new SweepLoop(
    async () => {
      runs++;
      inFlight++;
      most = Math.max(most, inFlight);
      await tick(15); // longer than the interval: the next run must still wait for this one
      inFlight--;
      if (runs === 1) throw new Error("first run fails");
    },
    5,
    (error) => errors.push(error),
  );
  loop.start();
  loop.start(); // a second start changes nothing
  for (let i = 0; i < 200 && runs < 3; i++) await tick(5);
  await loop.stop();
  expect(runs).toBeGreaterThanOrEqual(3);
  expect(most).toBe(1);
  expect(errors).toHaveLength(1);
  const after = runs;
  await tick(30);
  expect(runs).toBe(after);
});

test("stop waits for the run in progress", async () => {
  let finished = false;
  const loop = new SweepLoop(
    async () => {
      await tick(30);
      finished = true;
    },
    1000,
    () => {},
  );
  loop.start();
  await tick(5);
  await loop.stop();
  expect(finished).toBe(true);
});
