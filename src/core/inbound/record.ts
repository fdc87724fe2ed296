/**
 * The last step of every inbound write, shared by the processor and the sweeper: the messages go in,
 * their segments are marked joined, and each message that has an account gets its `inbound.received`
 * event — all with the caller's transaction, so the event exists exactly when the message does.
 */

import type { Logger } from "pino";
import type { Executor } from "../../db/client.js";
import { appendEvents } from "../events/outbox.js";
import { newId } from "../ids.js";
import { joinSegments, presentSeqs } from "./join.js";
import { serializeInbound } from "./serialize.js";
import {
  groupKey,
  insertInboundMessages,
  linkParts,
  type NewInbound,
  type PendingPart,
  type StoredInbound,
} from "./statements.js";

/** Told after COMMIT of the inbound messages a transaction created (upstream, and owner if any). */
export type InboundStored = (
  messages: ReadonlyArray<Pick<StoredInbound, "upstreamId" | "accountId">>,
) => void;

/** A message to store, with the segments it is made of (none for a single SMS). */
export interface InboundToRecord {
  message: NewInbound;
  partIds: readonly string[];
}

export interface RecordOptions {
  logger?: Logger | undefined;
  /** How far back a whole SMS with the same repeat key makes one a repeat, not stored; seconds. Default 0. */
  repeatWindowSeconds?: number;
}

/** Returns the messages stored: all of them but the whole SMS found to be repeats. */
export async function recordInbound(
  tx: Executor,
  items: readonly InboundToRecord[],
  options: RecordOptions = {},
): Promise<StoredInbound[]> {
  const { logger } = options;
  const stored = await insertInboundMessages(
    tx,
    items.map((i) => i.message),
    options.repeatWindowSeconds,
  );
  await linkParts(
    tx,
    items.flatMap((i) => i.partIds.map((partId) => ({ partId, inboundId: i.message.id }))),
  );
  const events = [];
  for (const row of stored) {
    if (row.accountId === null) {
      // Kept, not dropped: admins see it in GET /admin/inbound and can assign the number.
      logger?.warn(
        { inbound_id: row.id, to: row.to, upstream_id: row.upstreamId },
        "inbound SMS to a number no account owns; kept unassigned",
      );
      continue;
    }
    events.push({ accountId: row.accountId, type: "inbound.received" as const, data: serializeInbound(row) });
  }
  await appendEvents(tx, events);
  return stored;
}

/**
 * Messages from the pending segments of some groups: every complete set, and with `incomplete: true`
 * also every set with gaps (surfaced with what arrived and the flag set). Parts of a group come in any
 * order and may repeat a seq; the first copy counts.
 */
export function assembleGroups(
  pending: readonly PendingPart[],
  options: { incomplete: boolean },
): InboundToRecord[] {
  const byGroup = new Map<string, PendingPart[]>();
  for (const part of pending) {
    const key = groupKey(part);
    const list = byGroup.get(key);
    if (list === undefined) byGroup.set(key, [part]);
    else list.push(part);
  }
  const out: InboundToRecord[] = [];
  for (const parts of byGroup.values()) {
    const head = parts[0];
    if (head === undefined) continue;
    const complete = presentSeqs(parts, head.total).length === head.total;
    if (!complete && !options.incomplete) continue;
    const joined = joinSegments(parts, head.total, head.dcs0Charset);
    if (joined === null) continue;
    const last = parts.reduce((a, b) => (b.receivedAt > a.receivedAt ? b : a));
    out.push({
      message: {
        id: newId("inb"),
        upstreamId: head.upstreamId,
        from: head.source,
        to: head.destination,
        text: joined.text,
        encoding: joined.encoding,
        dataCoding: joined.dataCoding,
        segments: joined.segments,
        incomplete: !complete,
        // A complete set was received when its last segment was (now); an incomplete one, likewise.
        receivedAt: complete ? null : last.receivedAt,
        // Its segments were matched against repeats in inbound_parts already.
        repeatKey: null,
      },
      partIds: parts.map((p) => p.id),
    });
  }
  return out;
}
