/**
 * The `smsc_id_key` values under which the other side may have stored the same SMSC id. Parts and
 * receipts both store `smscIdKey(raw)` (db/smsc-id.ts); a receipt looks for its part, and a newly stored
 * part for its waiting receipts, with these keys. The upstream's `message_id_format` narrows them:
 * - `auto`: the SMSC may write the id in hex in one place and decimal in the other, so the other-base
 *   reading is tried too (NOTES.md §10);
 * - `hex` / `decimal`: the SMSC writes ids in that one base everywhere; only case and leading zeros may
 *   differ, and no cross-base reading is tried (it could only produce a false match).
 */
import { smscIdCandidates, smscIdKey } from "../../db/smsc-id.js";
import type { MessageIdFormat } from "../upstream-runtime.js";

export function matchKeys(raw: string, format: MessageIdFormat): string[] {
  if (raw.trim() === "") return [];
  return format === "auto" ? smscIdCandidates(raw) : [smscIdKey(raw)];
}
