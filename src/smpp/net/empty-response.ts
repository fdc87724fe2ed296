import type { RequestName } from "../commands.js";
import type { Pdu } from "../pdu.js";

/**
 * The response to request `command` with sequence `seq`, `status` and an empty body: what a server
 * answers when it refuses a request (ESME_RINVBNDSTS, ESME_RINVCMDID, a decode error …). The spec
 * allows error responses without a body; we send the mandatory fields empty, which every stack reads.
 */
export function emptyResponse(command: RequestName, seq: number, status: number): Pdu {
  const header = { command_status: status, sequence_number: seq };
  switch (command) {
    case "bind_receiver":
      return { command: "bind_receiver_resp", ...header, system_id: "" };
    case "bind_transmitter":
      return { command: "bind_transmitter_resp", ...header, system_id: "" };
    case "bind_transceiver":
      return { command: "bind_transceiver_resp", ...header, system_id: "" };
    case "submit_sm":
      return { command: "submit_sm_resp", ...header, message_id: "" };
    case "deliver_sm":
      return { command: "deliver_sm_resp", ...header, message_id: "" };
    case "data_sm":
      return { command: "data_sm_resp", ...header, message_id: "" };
    case "query_sm":
      return {
        command: "query_sm_resp",
        ...header,
        message_id: "",
        final_date: "",
        message_state: 0,
        error_code: 0,
      };
    case "submit_multi":
      return { command: "submit_multi_resp", ...header, message_id: "", unsuccess_smes: [] };
    case "cancel_sm":
      return { command: "cancel_sm_resp", ...header };
    case "replace_sm":
      return { command: "replace_sm_resp", ...header };
    case "unbind":
      return { command: "unbind_resp", ...header };
    case "enquire_link":
      return { command: "enquire_link_resp", ...header };
  }
}
