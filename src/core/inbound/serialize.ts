/** The InboundMessage of the API and of `inbound.received` events (DESIGN.md §4). */

import type { Encoding } from "../../db/schema.js";

export interface InboundMessage {
  id: string;
  /** E.164 with `+`, or the alphanumeric sender as received. */
  from: string;
  /** E.164 with `+`: the number it was sent to. */
  to: string;
  text: string;
  encoding: Encoding;
  segments: number;
  /** ISO 8601 UTC. */
  received_at: string;
  /** Name of the upstream it came from; null when that upstream has been deleted since. */
  upstream: string | null;
  /** True when a concatenated SMS was surfaced with parts missing after its wait ran out. */
  incomplete: boolean;
}

/** What an inbound_messages row (with its upstream's name) needs to be rendered. */
export interface InboundRowLike {
  id: string;
  from: string;
  to: string;
  text: string;
  encoding: Encoding;
  segments: number;
  receivedAt: Date;
  incomplete: boolean;
  upstreamName: string | null;
}

export function serializeInbound(row: InboundRowLike): InboundMessage {
  return {
    id: row.id,
    from: row.from,
    to: row.to,
    text: row.text,
    encoding: row.encoding,
    segments: row.segments,
    received_at: row.receivedAt.toISOString(),
    upstream: row.upstreamName,
    incomplete: row.incomplete,
  };
}
