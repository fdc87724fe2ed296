/**
 * INBOUND_REPEAT_WINDOW reaches the running service: with a 1 s window, the same text from the same
 * sender to the same number twice, 1.5 s apart, is two inbound messages (with the default hour it
 * would be one, taken for the SMSC delivering it again). The simulator answers our requests 5 s late,
 * so nothing proves the first answer read before the second SMS comes (which would make it new too).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/simulator.js";
import {
  call,
  type Provisioned,
  startInboundSetup,
  type TestService,
  testConfig,
  waitFor,
} from "./harness.js";

const NUMBER = "+447700900555";

describe("INBOUND_REPEAT_WINDOW", () => {
  let simulator: Simulator;
  let t: TestService;
  let p: Provisioned;

  beforeAll(async () => {
    ({ simulator, t, p } = await startInboundSetup(testConfig({ inboundRepeatWindowMs: 1000 }), NUMBER));
  });

  afterAll(async () => {
    await t?.close();
    await simulator?.close();
  });

  it("takes the same text again as a new message once the window has passed", async () => {
    const inbox = async () =>
      ((await call(t.service.url, "GET", "/v1/inbound", p.apiKey)).body as { data: { text: string }[] }).data;
    simulator.setFaults({ responseDelayMs: 5000 });
    simulator.injectMo({ from: "+447700900111", to: NUMBER, text: "YES" });
    await waitFor(async () => (await inbox()).length === 1, "the first YES");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    simulator.injectMo({ from: "+447700900111", to: NUMBER, text: "YES" });
    await waitFor(async () => (await inbox()).length === 2, "the second YES, past the 1 s window");
    expect((await inbox()).map((m) => m.text)).toEqual(["YES", "YES"]);
    simulator.clearFaults();
  });
});
