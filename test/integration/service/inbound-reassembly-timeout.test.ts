/**
 * INBOUND_REASSEMBLY_TIMEOUT reaches the running service: with a 1 s wait, the first segment of a
 * 2-segment SMS whose second never comes is surfaced, flagged incomplete, by the sweep the service runs
 * when it starts again (with the default day it would still be waiting).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.js";
import { type RunningService, startService } from "../../../src/main.js";
import { buildMo } from "../../../src/simulator/mo.js";
import type { Simulator } from "../../../src/simulator/simulator.js";
import { settled } from "../inbound/setup.js";
import {
  call,
  type Provisioned,
  startInboundSetup,
  type TestService,
  testConfig,
  waitFor,
} from "./harness.js";

const NUMBER = "+447700900556";

describe("INBOUND_REASSEMBLY_TIMEOUT", () => {
  let simulator: Simulator;
  let t: TestService;
  let p: Provisioned;
  let restarted: RunningService | undefined;

  beforeAll(async () => {
    ({ simulator, t, p } = await startInboundSetup(testConfig({ inboundReassemblyTimeoutMs: 1000 }), NUMBER));
    // Two services start in this file (PGlite, a loaded machine): bounds, not timing claims.
  }, 120_000);

  afterAll(async () => {
    await restarted?.stop("test over");
    await t?.close();
    await simulator?.close();
  });

  it("surfaces a set still waiting past the timeout, flagged incomplete", async () => {
    const [body] = buildMo({ from: "+447700900111", to: NUMBER, text: "x" }, 0);
    if (body === undefined) throw new Error("no body");
    // Segment 1 of 2, reference 9; segment 2 is lost.
    simulator.injectDeliverSm([
      {
        ...body,
        esm_class: 0x40,
        short_message: Buffer.from([0x05, 0x00, 0x03, 9, 2, 1, ...Buffer.from("first half ", "latin1")]),
      },
    ]);
    await settled(simulator);
    expect(simulator.stats().moAcked).toBe(1);
    await t.service.stop("restart");
    // Past the 1 s wait; the service sweeps when it starts.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    restarted = await startService(t.config, {
      migrate: false,
      database: t.database,
      logger: createLogger({ level: "silent" }),
    });
    const url = restarted.url;
    const inbox = async () =>
      (
        (await call(url, "GET", "/v1/inbound", p.apiKey)).body as {
          data: { text: string; incomplete: boolean; segments: number }[];
        }
      ).data;
    await waitFor(async () => (await inbox()).length === 1, "the incomplete SMS");
    expect(await inbox()).toMatchObject([{ text: "first half ", incomplete: true, segments: 1 }]);
  }, 120_000);
});
