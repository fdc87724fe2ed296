/**
 * The running service against an SMSC that sends known TLVs of the wrong length: two parts of a
 * concatenated SMS whose SAR TLVs are malformed (sar_total_segments of 2 octets) are each taken and
 * stored as a single inbound SMS, answered ESME_ROK, and the log says so once per tag per connection,
 * without the message's octets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/simulator.js";
import { TlvTag } from "../../../src/smpp/tlv.js";
import { deliverSm } from "../../helpers/deliver-sm.js";
import {
  call,
  type Provisioned,
  startInboundSetup,
  type TestService,
  testConfig,
  waitFor,
} from "./harness.js";

const NUMBER = "+447700900556";

describe("inbound SMS with malformed SAR TLVs", () => {
  let simulator: Simulator;
  let t: TestService;
  let p: Provisioned;

  beforeAll(async () => {
    ({ simulator, t, p } = await startInboundSetup(testConfig(), NUMBER));
  });

  afterAll(async () => {
    await t?.close();
    await simulator?.close();
  });

  it("stores each part as a single SMS, acknowledges both, and warns once per tag", async () => {
    const part = (seq: number, text: string) =>
      deliverSm({
        source_addr: "447700900111",
        destination_addr: NUMBER.slice(1),
        short_message: Buffer.from(text, "latin1"),
        tlvs: {
          sar_msg_ref_num: 77,
          sar_segment_seqnum: seq,
          unknown: [{ tag: TlvTag.sar_total_segments, value: Buffer.from([0, 2]) }],
        },
      });
    const before = simulator.stats();
    simulator.injectDeliverSm([part(1, "first half 4471"), part(2, "second half 4472")]);
    const inbox = async () =>
      ((await call(t.service.url, "GET", "/v1/inbound", p.apiKey)).body as { data: { text: string }[] }).data;
    await waitFor(async () => (await inbox()).length === 2, "both parts stored");
    expect((await inbox()).map((m) => m.text).sort()).toEqual(["first half 4471", "second half 4472"]);
    await waitFor(() => simulator.stats().moAcked - before.moAcked === 2, "both answered ESME_ROK");
    expect(simulator.stats().moFailed).toBe(before.moFailed);

    const warnings = t.logs().filter((l) => l.tlv === "sar_total_segments");
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        upstream_id: p.upstreamId,
        command: "deliver_sm",
        tag: "0x020e",
        length: 2,
      }),
    ]);
    expect(t.logText()).not.toContain("4471");
  });
});
