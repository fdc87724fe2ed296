import type { Pdu } from "../pdu.js";
import type { PduConnection } from "./pdu-connection.js";
import { statusError } from "./responses.js";
import type { BindMode } from "./types.js";
import type { Window } from "./window.js";

const BIND_COMMAND = {
  transceiver: "bind_transceiver",
  transmitter: "bind_transmitter",
  receiver: "bind_receiver",
} as const;

/** What a bind sends; the same fields, meanings and defaults as in ClientSessionOptions. */
export interface BindParameters {
  systemId: string;
  password: string;
  systemType?: string;
  interfaceVersion?: number;
  addrTon?: number;
  addrNpi?: number;
  addressRange?: string;
  /** Wait for the bind response. Default 5000. */
  bindTimeoutMs?: number;
}

/**
 * Writes the bind of `mode` on `conn` (its sequence number and response tracked in `window`, without a
 * slot) and resolves once the SMSC accepted it. Rejects with SmppStatusError when the SMSC refused it
 * (generic_nack included), ResponseTimeoutError when it did not answer in time, SessionClosedError when
 * the connection went first, SmppEncodeError when a field does not fit.
 */
export async function bindHandshake(
  conn: PduConnection,
  window: Window<Pdu>,
  mode: BindMode,
  p: BindParameters,
): Promise<void> {
  const seq = window.nextSequence();
  const command = BIND_COMMAND[mode];
  conn.send({
    command,
    command_status: 0,
    sequence_number: seq,
    system_id: p.systemId,
    password: p.password,
    system_type: p.systemType ?? "",
    interface_version: p.interfaceVersion ?? 0x34,
    addr_ton: p.addrTon ?? 0,
    addr_npi: p.addrNpi ?? 0,
    address_range: p.addressRange ?? "",
  });
  const resp = await window.track(seq, command, p.bindTimeoutMs ?? 5000, false);
  if (resp.command_status !== 0 || resp.command === "generic_nack") throw statusError(command, resp);
}
