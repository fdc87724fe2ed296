import { isIP } from "node:net";
import { z } from "@hono/zod-openapi";
import { normalizeReceivingNumber } from "../core/inbound/addresses.js";

/** Reusable request/response fields, so every route validates the same thing the same way. */

/** `{id}` in a path. Not pattern-checked: an id of the wrong shape is simply not found (404). */
export const IdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ups_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
});

/** ISO 8601 UTC, as every timestamp in a response. */
export const timestamp = () =>
  z.string().openapi({ format: "date-time", example: "2025-01-31T12:00:00.000Z" });

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

const HOSTNAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A DNS name (RFC 1123) or an IPv4/IPv6 literal. */
export function isHost(value: string): boolean {
  return isIP(value) !== 0 || HOSTNAME.test(value);
}

export const hostField = () =>
  z.string().refine(isHost, "Must be a hostname or an IP address").openapi({ example: "smsc.example.net" });

/**
 * A number SMS are received on: a short code of 3–8 digits, kept as is, or an international number (`+`
 * optional, `00` read as `+`), stored and echoed as E.164 with `+` (core/inbound/addresses.ts).
 */
export const receivingNumberField = () =>
  z
    .string()
    .transform((value, ctx) => {
      const number = normalizeReceivingNumber(value);
      if (number.ok) return number.value;
      ctx.addIssue({ code: "custom", message: number.message });
      return z.NEVER;
    })
    .openapi({ type: "string", example: "+447700900123" });

/** Printable ASCII (SMPP C-octet strings carry nothing else reliably). */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
