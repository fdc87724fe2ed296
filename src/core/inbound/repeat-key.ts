/**
 * What makes two whole inbound SMS "the same message" (DESIGN.md §2: an SMSC re-delivers what it holds
 * unacknowledged): the upstream it came through, source, destination, data_coding and the user data
 * octets — the same things that identify a segment in inbound_parts, the payload standing in for the
 * reference an SMSC does not give for a mobile-originated SMS.
 */

import { createHash } from "node:crypto";
import type { SingleInbound } from "./decode.js";

/** SHA-256 over the identifying fields, each length-prefixed so no two field lists hash alike. */
export function repeatKey(
  upstreamId: string,
  sms: Pick<SingleInbound, "from" | "to" | "dataCoding" | "userData">,
): Buffer {
  const hash = createHash("sha256");
  for (const field of [upstreamId, sms.from, sms.to, String(sms.dataCoding)]) {
    const octets = Buffer.from(field, "utf8");
    hash.update(lengthPrefix(octets.length)).update(octets);
  }
  hash.update(lengthPrefix(sms.userData.length)).update(sms.userData);
  return hash.digest();
}

function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
