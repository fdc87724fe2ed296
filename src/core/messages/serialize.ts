import type { MessageStatus, PartStatus } from "../../db/schema.js";
import type { MessagePartRow, MessageRow } from "./sink.js";

/** `error` of a Message (DESIGN.md §4); optional members appear only when known. */
export interface MessageErrorJson {
  code: string;
  message: string;
  smpp_command_status?: number;
  dlr_stat?: string;
  dlr_err?: string;
}

export interface MessagePartJson {
  index: number;
  smsc_message_id: string | null;
  status: PartStatus;
  submitted_at: string | null;
  done_at: string | null;
  dlr_stat: string | null;
  dlr_err: string | null;
}

/** The Message object of the REST contract (DESIGN.md §4), also the `data` of message webhooks. */
export interface MessageJson {
  id: string;
  status: MessageStatus;
  to: string;
  from: string;
  text: string;
  encoding: string;
  segments: number;
  client_reference: string | null;
  created_at: string;
  updated_at: string;
  send_at: string | null;
  submitted_at: string | null;
  done_at: string | null;
  /** Name of the upstream it was routed to; null before routing. */
  upstream: string | null;
  error: MessageErrorJson | null;
  parts: MessagePartJson[];
}

/** Renders a message row and its parts (any order) as the API's Message. */
export function serializeMessage(
  message: MessageRow,
  parts: readonly MessagePartRow[],
  upstreamName: string | null,
): MessageJson {
  const sorted = parts.length > 1 ? [...parts].sort((a, b) => a.index - b.index) : parts;
  return {
    id: message.id,
    status: message.status,
    to: message.to,
    from: message.from,
    text: message.text,
    encoding: message.encoding,
    segments: message.segments,
    client_reference: message.clientReference,
    created_at: message.createdAt.toISOString(),
    updated_at: message.updatedAt.toISOString(),
    send_at: iso(message.sendAt),
    submitted_at: iso(message.submittedAt),
    done_at: iso(message.doneAt),
    upstream: upstreamName,
    error: errorOf(message),
    parts: sorted.map(serializePart),
  };
}

function serializePart(part: MessagePartRow): MessagePartJson {
  return {
    index: part.index,
    smsc_message_id: part.smscMessageId,
    status: part.status,
    submitted_at: iso(part.submittedAt),
    done_at: iso(part.doneAt),
    dlr_stat: part.dlrStat,
    dlr_err: part.dlrErr,
  };
}

function errorOf(message: MessageRow): MessageErrorJson | null {
  if (message.errorCode === null) return null;
  return {
    code: message.errorCode,
    message: message.errorMessage ?? message.errorCode,
    ...(message.errorSmppCommandStatus !== null && { smpp_command_status: message.errorSmppCommandStatus }),
    ...(message.errorDlrStat !== null && { dlr_stat: message.errorDlrStat }),
    ...(message.errorDlrErr !== null && { dlr_err: message.errorDlrErr }),
  };
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}
