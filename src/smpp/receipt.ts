/**
 * Delivery receipts (NOTES.md §10): the de-facto text format of SMPP v3.4 Appendix B, read the tolerant
 * way Cloudhopper does (labels case-insensitive, a value ends where the next label starts, fields may be
 * missing or reordered), and the receipt TLVs, which win where both exist.
 */

import { type Dcs0Charset, decodeUserData, MalformedUdhError, type ShortMessageLike } from "./text/index.js";

/** esm_class message type bits (2–5). */
const MESSAGE_TYPE_MASK = 0x3c;
/** SMSC delivery receipt. */
const TYPE_SMSC_RECEIPT = 0x04;
/** SME delivery acknowledgement; Kannel treats it as a receipt too. */
const TYPE_SME_ACK = 0x08;
/** Intermediate delivery notification. */
const TYPE_INTERMEDIATE = 0x20;

/** The receipt TLVs (names as the codec decodes them). */
export interface ReceiptTlvs {
  receipted_message_id?: string;
  message_state?: number;
  network_error_code?: { network_type: number; error_code: number };
}

/** The fields of a deliver_sm/data_sm that may carry a receipt. */
export interface ReceiptLike extends ShortMessageLike {
  tlvs?: ShortMessageLike["tlvs"] & ReceiptTlvs;
}

/**
 * Whether a deliver_sm is a receipt: esm_class message type SMSC delivery receipt (0x04), SME delivery
 * ack (0x08) or intermediate notification (0x20), tested with the mask; or a receipted_message_id TLV.
 */
export function isReceipt(msg: { esm_class: number; tlvs?: ReceiptTlvs }): boolean {
  const type = msg.esm_class & MESSAGE_TYPE_MASK;
  return (
    type === TYPE_SMSC_RECEIPT ||
    type === TYPE_SME_ACK ||
    type === TYPE_INTERMEDIATE ||
    msg.tlvs?.receipted_message_id !== undefined
  );
}

/** Receipt states by their Appendix B `stat` word (message_state values of §5.2.28, SMPP 5.0 adds 0 and 9). */
export const MESSAGE_STATE = {
  SCHEDULED: 0,
  ENROUTE: 1,
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
  SKIPPED: 9,
} as const;

/** A normalised stat word. */
export type ReceiptStat = keyof typeof MESSAGE_STATE;

const STAT_BY_STATE: readonly ReceiptStat[] = Object.keys(MESSAGE_STATE) as ReceiptStat[];

/**
 * Final message states: every state but SCHEDULED, ENROUTE and ACCEPTD. ACCEPTD (read by customer
 * service) is final for some SMSCs and followed by a real outcome at others, so we wait for that one.
 * UNKNOWN is final: DESIGN.md counts it as undelivered.
 */
const FINAL_STATES: ReadonlySet<number> = new Set([2, 3, 4, 5, 7, 8, 9]);

/** Vendor words seen in `stat:` mapped to the Appendix B words, after upper-casing and dropping non-letters. */
const STAT_SYNONYMS: ReadonlyMap<string, ReceiptStat> = new Map([
  ["DELIVRD", "DELIVRD"],
  ["DELIVERED", "DELIVRD"],
  ["DELIVER", "DELIVRD"],
  ["DELIVRED", "DELIVRD"],
  ["SUCCESS", "DELIVRD"],
  ["UNDELIV", "UNDELIV"],
  ["UNDELIVRD", "UNDELIV"],
  ["UNDELIVERED", "UNDELIV"],
  ["UNDELIVERABLE", "UNDELIV"],
  ["FAILED", "UNDELIV"],
  ["FAIL", "UNDELIV"],
  ["FAILURE", "UNDELIV"],
  ["ERROR", "UNDELIV"],
  ["EXPIRED", "EXPIRED"],
  ["EXPIRD", "EXPIRED"],
  ["DELETED", "DELETED"],
  ["DELETD", "DELETED"],
  ["REJECTD", "REJECTD"],
  ["REJECTED", "REJECTD"],
  ["REJECT", "REJECTD"],
  ["ACCEPTD", "ACCEPTD"],
  ["ACCEPTED", "ACCEPTD"],
  ["ENROUTE", "ENROUTE"],
  ["SENT", "ENROUTE"],
  ["PENDING", "ENROUTE"],
  ["BUFFERED", "ENROUTE"],
  ["UNKNOWN", "UNKNOWN"],
  ["SCHEDULED", "SCHEDULED"],
  ["SKIPPED", "SKIPPED"],
]);

/**
 * A `stat:` word normalised liberally: Appendix B words, their long forms and common vendor words
 * (FAILED → UNDELIV, DELIVERED → DELIVRD, EN_ROUTE → ENROUTE, a message_state number …). Anything else is
 * UNKNOWN.
 */
export function normalizeStat(word: string): ReceiptStat {
  const trimmed = word.trim();
  if (/^\d+$/.test(trimmed)) return STAT_BY_STATE[Number(trimmed)] ?? "UNKNOWN";
  const key = trimmed.toUpperCase().replace(/[^A-Z]/g, "");
  const known = STAT_SYNONYMS.get(key);
  if (known !== undefined) return known;
  if (key.startsWith("UNDELIV")) return "UNDELIV";
  if (key.startsWith("DELIV")) return "DELIVRD";
  return "UNKNOWN";
}

/** A receipt, TLVs merged over the text. */
export interface Receipt {
  /** receipted_message_id when present, else the text's `id:`; null when neither. */
  messageId: string | null;
  /** The text's `id:` (may be the other of hex/decimal than the TLV); null when absent. */
  textMessageId: string | null;
  /** From message_state when present, else from the text's `stat:`; null when neither. */
  stat: ReceiptStat | null;
  /** The `stat:` word as written. */
  rawStat: string | null;
  /** message_state number (TLV, else from `stat`). */
  state: number | null;
  /** A final outcome (see FINAL_STATES); never for an intermediate notification (esm_class 0x20). */
  final: boolean;
  /** esm_class says intermediate delivery notification. */
  intermediate: boolean;
  /** `err:` as written (often 3 digits, sometimes longer). */
  err: string | null;
  sub: number | null;
  dlvrd: number | null;
  /** `submit date:` read as UTC; null when absent or not a date. */
  submitDate: Date | null;
  /** `done date:` read as UTC. */
  doneDate: Date | null;
  /** `text:` (the first characters of the original message). */
  text: string | null;
  /** From the network_error_code TLV. */
  networkError: { networkType: number; errorCode: number } | null;
}

type Label = "id" | "sub" | "dlvrd" | "submitdate" | "donedate" | "stat" | "err" | "text";

/** Labels where a letter or digit does not precede them; `submit date` also as `submit_date`. */
const LABEL = /(?<![A-Za-z0-9_])(id|sub|dlvrd|submit[\s_]*date|done[\s_]*date|stat|err|text)\s*:/gi;

/**
 * Reads the Appendix B fields of a receipt text. The first occurrence of each label counts; a repeated
 * label (say `id:` inside `text:`) stays part of the value before it.
 */
export function parseReceiptText(text: string): Partial<Record<Label, string>> {
  const found: Array<{ label: Label; start: number; valueStart: number }> = [];
  const seen = new Set<Label>();
  for (const m of text.matchAll(LABEL)) {
    const label = (m[1] ?? "").toLowerCase().replace(/[\s_]/g, "") as Label;
    if (seen.has(label)) continue;
    seen.add(label);
    found.push({ label, start: m.index, valueStart: m.index + m[0].length });
  }
  const fields: Partial<Record<Label, string>> = {};
  found.forEach((f, i) => {
    fields[f.label] = text.slice(f.valueStart, found[i + 1]?.start ?? text.length).trim();
  });
  return fields;
}

/**
 * Parses a receipt deliver_sm. The text is decoded by data_coding (GSM default alphabet as the upstream's
 * `dcs0Charset` says, default unpacked GSM) from message_payload or short_message. Never throws: what is
 * missing or unreadable is null.
 */
export function parseReceipt(msg: ReceiptLike, dcs0Charset: Dcs0Charset = "gsm7"): Receipt {
  const fields = parseReceiptText(receiptText(msg, dcs0Charset));
  const tlvs = msg.tlvs ?? {};
  const textId = nonEmpty(fields.id);
  const rawStat = nonEmpty(fields.stat);
  const state = tlvs.message_state ?? (rawStat === null ? null : MESSAGE_STATE[normalizeStat(rawStat)]);
  const stat = state === null ? null : (STAT_BY_STATE[state] ?? "UNKNOWN");
  const intermediate = (msg.esm_class & MESSAGE_TYPE_MASK) === TYPE_INTERMEDIATE;
  const nec = tlvs.network_error_code;
  return {
    messageId: nonEmpty(tlvs.receipted_message_id) ?? textId,
    textMessageId: textId,
    stat,
    rawStat,
    state,
    final: !intermediate && state !== null && FINAL_STATES.has(state),
    intermediate,
    err: nonEmpty(fields.err),
    sub: count(fields.sub),
    dlvrd: count(fields.dlvrd),
    submitDate: parseReceiptDate(fields.submitdate),
    doneDate: parseReceiptDate(fields.donedate),
    text: fields.text ?? null,
    networkError: nec ? { networkType: nec.network_type, errorCode: nec.error_code } : null,
  };
}

function receiptText(msg: ReceiptLike, dcs0Charset: Dcs0Charset): string {
  try {
    return decodeUserData(msg, dcs0Charset).text;
  } catch (err) {
    if (err instanceof MalformedUdhError) return "";
    throw err;
  }
}

/**
 * A receipt date: `YYMMDDhhmm`, `YYMMDDhhmmss` or `YYYYMMDDhhmmss` (spaces ignored), read as UTC with
 * two-digit years in 2000–2099. Null when absent, of another length or not a calendar date.
 */
export function parseReceiptDate(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const digits = value.replace(/\s+/g, "");
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$|^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(
    digits,
  );
  if (m === null) return null;
  // Groups 1–6 hold the two-digit-year forms, 7–12 the four-digit one.
  const g = m[7] === undefined ? m.slice(1, 7) : m.slice(7, 13);
  const year = m[7] === undefined ? 2000 + Number(g[0]) : Number(g[0]);
  const [mo, dd, hh, mi, ss] = g.slice(1).map((v) => Number(v ?? "0")) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, mo - 1, dd, hh, mi, ss));
  const same =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === dd &&
    date.getUTCHours() === hh &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === ss;
  return same ? date : null;
}

/** How a message id is written (DESIGN.md §4 `message_id_format`). */
export type MessageIdFormat = "auto" | "hex" | "decimal";

/** Ids longer than this are compared as strings only (the C-string maximum is 65 with its NUL). */
const MAX_NUMERIC_ID = 64;

/**
 * Keys under which a message id can be stored and looked up, so that the hex and decimal forms of one id
 * meet (NOTES.md §10). Each numeric reading of the id gives its value in lower-case hex without leading
 * zeros; `hex` reads the id as hex (an optional `0x` allowed), `decimal` as decimal, `auto` both ways when
 * the characters allow. An id with no numeric reading (or over 64 characters) is its trimmed lower-case
 * self. Values are always written in hex so a decimal "18" (0x12) and a hex "12" meet, while a decimal
 * "12" and a hex "12" meet only through their shared spelling. Example: "5F2A9C01" → ["5f2a9c01"];
 * "1596628993" → ["5f2a9c01", "1596628993"]; "0005F2A9C01" → ["5f2a9c01"]. Empty for an empty id.
 */
export function messageIdCandidates(id: string, format: MessageIdFormat = "auto"): string[] {
  const s = id.trim().toLowerCase();
  if (s === "") return [];
  if (s.length > MAX_NUMERIC_ID) return [s];
  const keys = new Set<string>();
  const hexDigits = s.startsWith("0x") ? s.slice(2) : s;
  if (format !== "hex" && /^[0-9]+$/.test(s)) keys.add(BigInt(s).toString(16));
  if (format !== "decimal" && /^[0-9a-f]+$/.test(hexDigits)) keys.add(BigInt(`0x${hexDigits}`).toString(16));
  if (keys.size === 0) keys.add(s);
  return [...keys];
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value;
}

function count(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}
