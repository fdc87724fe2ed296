/** Outbox events for message status changes: the Message as the API renders it at the moment of change. */
import type { EventType } from "../../db/schema.js";
import type { OutboxEvent } from "../events/outbox.js";
import { serializeMessage } from "../messages/serialize.js";
import type { MessagePartRow, MessageRow } from "../messages/sink.js";

/** Upstream name by id (for the Message's `upstream`); null when unknown. */
export type UpstreamNames = (upstreamId: string) => string | null;

/** The event a message status names, if any (DESIGN.md §4 events). */
export function eventTypeOf(status: MessageRow["status"]): EventType | null {
  switch (status) {
    case "sent":
      return "message.sent";
    case "delivered":
      return "message.delivered";
    case "undelivered":
      return "message.undelivered";
    case "failed":
      return "message.failed";
    default:
      return null;
  }
}

export function messageEvent(
  type: EventType,
  message: MessageRow,
  parts: readonly MessagePartRow[],
  names: UpstreamNames,
): OutboxEvent {
  const upstream = message.upstreamId === null ? null : names(message.upstreamId);
  return {
    accountId: message.accountId,
    type,
    data: serializeMessage(message, parts, upstream),
    callbackUrl: message.statusCallbackUrl,
  };
}
