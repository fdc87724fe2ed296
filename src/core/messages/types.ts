import type { TextEncoding } from "../../smpp/text/index.js";

/** What a client may ask for as `encoding`. */
export type RequestedEncoding = "auto" | TextEncoding;

/**
 * A send request as the API parsed it: the shape is checked (types, lengths, enums), the content is
 * not yet (numbers, sender, encodability, segments, times). Field names follow the API's body.
 */
export interface SendRequest {
  to: string;
  from?: string | undefined;
  text: string;
  encoding?: RequestedEncoding | undefined;
  client_reference?: string | undefined;
  /** Seconds. */
  validity_period?: number | undefined;
  /** ISO 8601 with a zone. */
  send_at?: string | undefined;
  delivery_report?: boolean | undefined;
  status_callback_url?: string | undefined;
}

/** A request whose content passed validation, normalised and with its text split into segments. */
export interface ValidMessage {
  /** E.164 with `+`. */
  to: string;
  /** Stored sender form (see validate/addresses.ts). */
  from: string;
  text: string;
  encoding: TextEncoding;
  /** SMPP data_coding for the encoding: 0 gsm7, 3 latin1, 8 ucs2. */
  dataCoding: number;
  /** The characters of each segment, in order (one entry for a single SMS). */
  partTexts: string[];
  clientReference: string | null;
  /** Seconds. */
  validityPeriod: number | null;
  sendAt: Date | null;
  deliveryReport: boolean;
  statusCallbackUrl: string | null;
}
