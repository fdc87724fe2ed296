/**
 * The simulator plays a strict SMSC: a known TLV of the wrong length in what an ESME submits is refused
 * with ESME_RINVPARLEN (our gateway keeps such a TLV raw; a strict peer in tests catches our own
 * encoding bugs).
 */
import { afterEach, expect, test } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { TlvTag } from "../../../src/smpp/tlv.js";
import { TestEsme } from "./esme.js";

let sim: Simulator | undefined;
let esme: TestEsme | undefined;
afterEach(async () => {
  esme?.close();
  await sim?.close();
});

test("a submit_sm with a 1-octet user_message_reference is answered ESME_RINVPARLEN; a sound one is accepted", async () => {
  sim = await Simulator.start({ accounts: [{ systemId: "acme", password: "pw" }] });
  const bound = await TestEsme.bound(sim.port, "bind_transceiver", "acme", "pw");
  esme = bound.esme;
  expect(bound.resp.command_status).toBe(0);
  const bad = await esme.submit({
    tlvs: { unknown: [{ tag: TlvTag.user_message_reference, value: Buffer.from([7]) }] },
  });
  expect(bad).toMatchObject({ command: "submit_sm_resp", command_status: CommandStatus.ESME_RINVPARLEN });
  const good = await esme.submit({ tlvs: { user_message_reference: 7 } });
  expect(good).toMatchObject({ command: "submit_sm_resp", command_status: 0 });
  expect(sim.stats().submitsAccepted).toBe(1);
});
