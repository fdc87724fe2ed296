/**
 * The SMPP v3.4 command_status table (§5.1.3) and whether each status is worth retrying.
 * This is the single place that decides retry policy by status; everything else asks `statusInfo`.
 */

/**
 * How a failed request should be handled:
 * - `transient`: re-queue with backoff (same or another bind);
 * - `session`: bind-level problem: fix or re-bind the session, then retry;
 * - `permanent`: fail the message and tell the caller;
 * - `unknown`: ambiguous (vendor-specific, reserved or "unknown error"): retry a bounded number of times.
 */
export type RetryClass = "transient" | "session" | "permanent" | "unknown";

export interface StatusInfo {
  readonly code: number;
  readonly name: string;
  readonly description: string;
  readonly retry: RetryClass;
}

// [code, name, description, retry]; ESME_ROK is "permanent" because an accepted request is final.
const TABLE = [
  [0x00, "ESME_ROK", "No error", "permanent"],
  [0x01, "ESME_RINVMSGLEN", "Message length is invalid", "permanent"],
  [0x02, "ESME_RINVCMDLEN", "Command length is invalid", "permanent"],
  [0x03, "ESME_RINVCMDID", "Invalid command ID", "permanent"],
  [0x04, "ESME_RINVBNDSTS", "Incorrect bind status for given command", "session"],
  [0x05, "ESME_RALYBND", "ESME already in bound state", "session"],
  [0x06, "ESME_RINVPRTFLG", "Invalid priority flag", "permanent"],
  [0x07, "ESME_RINVREGDLVFLG", "Invalid registered delivery flag", "permanent"],
  // Bounded: an SMSC that keeps failing this way is down, not busy.
  [0x08, "ESME_RSYSERR", "System error", "transient"],
  [0x0a, "ESME_RINVSRCADR", "Invalid source address", "permanent"],
  [0x0b, "ESME_RINVDSTADR", "Invalid destination address", "permanent"],
  [0x0c, "ESME_RINVMSGID", "Message ID is invalid", "permanent"],
  // Some SMSCs answer "too many binds" with this, so back off rather than give up.
  [0x0d, "ESME_RBINDFAIL", "Bind failed", "session"],
  [0x0e, "ESME_RINVPASWD", "Invalid password", "session"],
  [0x0f, "ESME_RINVSYSID", "Invalid system ID", "session"],
  [0x11, "ESME_RCANCELFAIL", "Cancel SM failed", "permanent"],
  [0x13, "ESME_RREPLACEFAIL", "Replace SM failed", "permanent"],
  [0x14, "ESME_RMSGQFUL", "Message queue full", "transient"],
  [0x15, "ESME_RINVSERTYP", "Invalid service type", "permanent"],
  [0x33, "ESME_RINVNUMDESTS", "Invalid number of destinations", "permanent"],
  [0x34, "ESME_RINVDLNAME", "Invalid distribution list name", "permanent"],
  [0x40, "ESME_RINVDESTFLAG", "Destination flag is invalid (submit_multi)", "permanent"],
  [0x42, "ESME_RINVSUBREP", "Invalid 'submit with replace' request", "permanent"],
  [0x43, "ESME_RINVESMCLASS", "Invalid esm_class field data", "permanent"],
  [0x44, "ESME_RCNTSUBDL", "Cannot submit to distribution list", "permanent"],
  // Vendors use it for both temporary and final failures.
  [0x45, "ESME_RSUBMITFAIL", "submit_sm or submit_multi failed", "unknown"],
  [0x48, "ESME_RINVSRCTON", "Invalid source address TON", "permanent"],
  [0x49, "ESME_RINVSRCNPI", "Invalid source address NPI", "permanent"],
  [0x50, "ESME_RINVDSTTON", "Invalid destination address TON", "permanent"],
  [0x51, "ESME_RINVDSTNPI", "Invalid destination address NPI", "permanent"],
  [0x53, "ESME_RINVSYSTYP", "Invalid system_type field", "session"],
  [0x54, "ESME_RINVREPFLAG", "Invalid replace_if_present flag", "permanent"],
  [0x55, "ESME_RINVNUMMSGS", "Invalid number of messages", "permanent"],
  [0x58, "ESME_RTHROTTLED", "Throttling error (ESME has exceeded allowed message limits)", "transient"],
  [0x61, "ESME_RINVSCHED", "Invalid scheduled delivery time", "permanent"],
  [0x62, "ESME_RINVEXPIRY", "Invalid message validity period (expiry time)", "permanent"],
  [0x63, "ESME_RINVDFTMSGID", "Predefined message invalid or not found", "permanent"],
  [0x64, "ESME_RX_T_APPN", "ESME receiver temporary app error code", "transient"],
  [0x65, "ESME_RX_P_APPN", "ESME receiver permanent app error code", "permanent"],
  [0x66, "ESME_RX_R_APPN", "ESME receiver reject message error code", "permanent"],
  [0x67, "ESME_RQUERYFAIL", "query_sm request failed", "permanent"],
  [0xc0, "ESME_RINVOPTPARSTREAM", "Error in the optional part of the PDU body", "permanent"],
  [0xc1, "ESME_ROPTPARNOTALLWD", "Optional parameter not allowed", "permanent"],
  [0xc2, "ESME_RINVPARLEN", "Invalid parameter length", "permanent"],
  [0xc3, "ESME_RMISSINGOPTPARAM", "Expected optional parameter missing", "permanent"],
  [0xc4, "ESME_RINVOPTPARAMVAL", "Invalid optional parameter value", "permanent"],
  [0xfe, "ESME_RDELIVERYFAILURE", "Delivery failure (data_sm_resp)", "unknown"],
  [0xff, "ESME_RUNKNOWNERR", "Unknown error", "unknown"],
] as const;

type Row = (typeof TABLE)[number];
export type CommandStatusName = Row[1];

/** command_status codes by name, e.g. `CommandStatus.ESME_RTHROTTLED === 0x58`. */
export const CommandStatus = Object.fromEntries(TABLE.map((row) => [row[1], row[0]])) as {
  readonly [R in Row as R[1]]: R[0];
};

const byCode = new Map<number, StatusInfo>(
  TABLE.map(([code, name, description, retry]) => [code, { code, name, description, retry }]),
);

function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(8, "0")}`;
}

/**
 * Name, description and retry class of any command_status. Codes v3.4 leaves reserved, the 0x100–0x3FF
 * extension range and the 0x400–0x4FF SMSC vendor range all come back as `unknown` (bounded retries);
 * a per-upstream table may override vendor codes.
 */
export function statusInfo(code: number): StatusInfo {
  const known = byCode.get(code);
  if (known) return known;
  if (code >= 0x400 && code <= 0x4ff) {
    return { code, name: `VENDOR_${hex(code)}`, description: "SMSC vendor-specific error", retry: "unknown" };
  }
  if (code >= 0x100 && code <= 0x3ff) {
    return {
      code,
      name: `RESERVED_${hex(code)}`,
      description: "Reserved for SMPP extension",
      retry: "unknown",
    };
  }
  return { code, name: `RESERVED_${hex(code)}`, description: "Reserved status code", retry: "unknown" };
}

/** True when the status means "try again later" (throttled, queue full, system error, temporary app error). */
export function isTransient(code: number): boolean {
  return statusInfo(code).retry === "transient";
}

/** A non-zero SMPP command_status as a typed error value. */
export class SmppStatusError extends Error {
  override readonly name = "SmppStatusError";
  readonly status: number;
  readonly statusName: string;
  readonly retry: RetryClass;
  /** True for `transient` and `session` statuses: the same message may succeed later. */
  readonly retryable: boolean;

  constructor(status: number, message?: string) {
    const info = statusInfo(status);
    super(message ?? `${info.name} (${hex(status)}): ${info.description}`);
    this.status = status;
    this.statusName = info.name;
    this.retry = info.retry;
    this.retryable = info.retry === "transient" || info.retry === "session";
  }
}
