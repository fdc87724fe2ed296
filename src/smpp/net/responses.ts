/**
 * What the SMSC's answers mean to a client session: a failed response as a typed error, an answer
 * whose body cannot be decoded read as leniently as it can be, and the reply to a request from the
 * SMSC that cannot be decoded.
 */
import { emptyPdu } from "../codec.js";
import { commandName, type RequestName, responseNameOf } from "../commands.js";
import type { SmppDecodeError } from "../errors.js";
import type { Pdu } from "../pdu.js";
import { CommandStatus, SmppStatusError } from "../status.js";
import { emptyResponse } from "./empty-response.js";

/** A failed response as a typed error: its status, or the generic_nack's, or "unknown" for a wrong reply. */
export function statusError(command: string, resp: Pdu): SmppStatusError {
  if (resp.command === "generic_nack") {
    const status = resp.command_status === 0 ? CommandStatus.ESME_RUNKNOWNERR : resp.command_status;
    const info = new SmppStatusError(status);
    return new SmppStatusError(status, `${command} answered with generic_nack: ${info.message}`);
  }
  if (resp.command_status === 0) {
    return new SmppStatusError(CommandStatus.ESME_RUNKNOWNERR, `${command} answered with ${resp.command}`);
  }
  return new SmppStatusError(resp.command_status);
}

/**
 * What settles the request answered by a response whose body could not be decoded (`frame` as read,
 * its header sound): the response as far as it can be read, or the error to fail the request with.
 */
export function unreadableResponse(err: SmppDecodeError, frame: Buffer): Pdu | Error {
  const seq = err.sequenceNumber;
  const name = commandName(err.commandId);
  const commandStatus = frame.readUInt32BE(8);
  if (commandStatus === 0 && (name === "submit_sm_resp" || name === "data_sm_resp")) {
    // The SMSC took the message and wrote its answer badly (no body, a message_id without its NUL
    // or too long): read the id leniently (NOTES §2). Failed for good, the message would be reported
    // rejected while it is on its way, and a customer resending it would send it twice.
    const resp = { ...emptyPdu(name, seq, 0), message_id: lenientMessageId(frame) };
    return resp as Pdu;
  }
  if (commandStatus === 0 && name !== undefined && name.startsWith("bind_")) {
    // The SMSC bound us and wrote its answer badly (a system_id over 15 characters, no body): failed,
    // its decode status (ESME_RINVSYSID) would read as refused credentials and wait minutes to rebind.
    return emptyPdu(name, seq, 0) as Pdu;
  }
  if (commandStatus !== 0 && name !== undefined) {
    // A refusal whose body is unreadable is still the SMSC's refusal, with the SMSC's status: a
    // throttled submit must pause the session and be retried, not fail for good as a length error.
    // (PduOf over the union of names is not distributive, hence the widening to Pdu.)
    return emptyPdu(name, seq, commandStatus) as Pdu;
  }
  // An answer to one of ours that we cannot read: fail that request rather than let it time out.
  return new SmppStatusError(err.status, `unreadable ${describe(err.commandId)}: ${err.message}`);
}

/**
 * The reply to a request from the SMSC that could not be decoded: its own response with the decode
 * status, generic_nack for a command without one, nothing for those that are never answered.
 */
export function replyToUnreadableRequest(err: SmppDecodeError): Pdu | undefined {
  const seq = err.sequenceNumber;
  const name = commandName(err.commandId);
  const resp = name === undefined ? undefined : responseNameOf(name);
  if (name !== undefined && resp !== undefined) {
    return emptyResponse(name as RequestName, seq, err.status);
  }
  if (name !== "alert_notification" && name !== "outbind") {
    return { command: "generic_nack", command_status: err.status, sequence_number: seq };
  }
  return undefined;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function describe(commandId: number): string {
  return commandName(commandId) ?? `command 0x${hex(commandId)}`;
}

/** A response's message_id read leniently: the body's octets up to the first NUL or the end, at most 64. */
function lenientMessageId(frame: Buffer): string {
  const body = frame.subarray(16);
  const nul = body.indexOf(0);
  return body.subarray(0, Math.min(nul < 0 ? body.length : nul, 64)).toString("latin1");
}
