import { describe, expect, test } from "vitest";
import { decodePdu, encodePdu } from "../../../../src/smpp/codec.js";
import { requestPdu } from "../../../../src/smpp/net/request-pdu.js";
import type { DataSmBody, SubmitSmBody } from "../../../../src/smpp/net/types.js";
import { PDU_BODIES } from "../../../../src/smpp/pdu.js";

const submit: SubmitSmBody = {
  service_type: "CMT",
  source_addr_ton: 5,
  source_addr_npi: 0,
  source_addr: "Bridge",
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: "447700900123",
  esm_class: 0x40,
  protocol_id: 0,
  priority_flag: 1,
  schedule_delivery_time: "",
  validity_period: "000001000000000R",
  registered_delivery: 1,
  replace_if_present_flag: 0,
  data_coding: 8,
  sm_default_msg_id: 0,
  short_message: Buffer.from("050003010201", "hex"),
  tlvs: { user_message_reference: 7 },
};

const dataSm: DataSmBody = {
  service_type: "",
  source_addr_ton: 1,
  source_addr_npi: 1,
  source_addr: "447700900999",
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: "447700900123",
  esm_class: 0,
  registered_delivery: 1,
  data_coding: 0,
  tlvs: { message_payload: Buffer.from("a long payload") },
};

describe("requestPdu", () => {
  test.each([
    ["submit_sm", requestPdu("submit_sm", submit, 42), submit],
    ["data_sm", requestPdu("data_sm", dataSm, 42), dataSm],
  ] as const)("%s carries every field of the PDU table, the header and the TLVs", (command, pdu, body) => {
    const names = PDU_BODIES[command].map((f) => f.name);
    expect(Object.keys(pdu)).toEqual(["command", "command_status", "sequence_number", ...names, "tlvs"]);
    expect(decodePdu(encodePdu(pdu))).toEqual({ command, command_status: 0, sequence_number: 42, ...body });
  });

  test("the rare requests keep their body too", () => {
    const body = { message_id: "abc", source_addr_ton: 1, source_addr_npi: 1, source_addr: "4477" };
    expect(requestPdu("query_sm", body, 7)).toEqual({
      command: "query_sm",
      command_status: 0,
      sequence_number: 7,
      ...body,
    });
  });
});
