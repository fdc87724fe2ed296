/**
 * The SQL of inbound SMS, one statement per function, each taking a whole batch as unnest arrays so a
 * batch of 500 PDUs costs the same round trips as one. Octets travel as hex text (`decode`/`encode`) and
 * an absent value as '' rather than null: the forms both drivers pass through arrays alike.
 */

import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { countRows } from "../../db/count-rows.js";
import type { Dcs0Charset, Encoding } from "../../db/schema.js";

/** The segments of one concatenated SMS share these. */
export interface PartGroup {
  upstreamId: string;
  source: string;
  destination: string;
  ref: number;
  total: number;
}

/** A map key for a group. */
export function groupKey(g: PartGroup): string {
  return `${g.upstreamId}\u0000${g.source}\u0000${g.destination}\u0000${g.ref}\u0000${g.total}`;
}

export interface NewPart extends PartGroup {
  id: string;
  seq: number;
  data: Buffer;
  dataCoding: number;
}

export interface PendingPart extends PartGroup {
  id: string;
  seq: number;
  data: Buffer;
  dataCoding: number;
  receivedAt: Date;
  /** The upstream's DCS 0 charset now; gsm7 when the upstream is gone. */
  dcs0Charset: Dcs0Charset;
}

export interface NewInbound {
  id: string;
  upstreamId: string;
  from: string;
  to: string;
  text: string;
  encoding: Encoding;
  dataCoding: number;
  segments: number;
  incomplete: boolean;
  /** Null: the transaction's time. */
  receivedAt: Date | null;
  /** A whole SMS's identity (see repeat-key.ts); null for one joined from segments. */
  repeatKey: Buffer | null;
}

export interface StoredInbound {
  id: string;
  accountId: string | null;
  upstreamId: string;
  upstreamName: string | null;
  from: string;
  to: string;
  text: string;
  encoding: Encoding;
  segments: number;
  incomplete: boolean;
  receivedAt: Date;
}

/**
 * Serialises work on the given groups until COMMIT (transaction-scoped advisory locks), so two
 * transactions each holding one segment cannot both see an incomplete set and leave it so. Taken in
 * hash order: concurrent batches lock overlapping groups in the same order and never deadlock.
 */
export async function lockGroups(tx: Executor, groups: readonly PartGroup[]): Promise<void> {
  if (groups.length === 0) return;
  // JSON rather than groupKey: PostgreSQL text cannot carry its NUL separators.
  const keys = groups.map((g) => JSON.stringify([g.upstreamId, g.source, g.destination, g.ref, g.total]));
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(h)
        FROM (SELECT DISTINCT hashtextextended(k, 0) AS h
              FROM unnest(${sql.param(keys)}::text[]) AS k ORDER BY 1) AS s`,
  );
}

/**
 * Stores segments; a repeat of a stored one is ignored. A segment that collides with one already joined
 * into a message is a new SMS reusing the reference (8-bit references wrap after 256) when its octets
 * differ or the stored one is older than `repeatWindowSeconds`: it then replaces the old row and waits
 * for its own siblings. Keys must be distinct within the call (one statement cannot update a row twice).
 */
export async function upsertParts(
  tx: Executor,
  parts: readonly NewPart[],
  repeatWindowSeconds: number,
): Promise<void> {
  if (parts.length === 0) return;
  await tx.execute(
    sql`INSERT INTO inbound_parts (id, upstream_id, source, destination, ref, total, seq, data, data_coding)
        SELECT p.id, p.upstream_id, p.source, p.destination, p.ref, p.total, p.seq,
               decode(p.data_hex, 'hex'), p.data_coding
        FROM unnest(${sql.param(parts.map((p) => p.id))}::text[],
                    ${sql.param(parts.map((p) => p.upstreamId))}::text[],
                    ${sql.param(parts.map((p) => p.source))}::text[],
                    ${sql.param(parts.map((p) => p.destination))}::text[],
                    ${sql.param(parts.map((p) => p.ref))}::int[],
                    ${sql.param(parts.map((p) => p.total))}::int[],
                    ${sql.param(parts.map((p) => p.seq))}::int[],
                    ${sql.param(parts.map((p) => p.data.toString("hex")))}::text[],
                    ${sql.param(parts.map((p) => p.dataCoding))}::int[])
          AS p(id, upstream_id, source, destination, ref, total, seq, data_hex, data_coding)
        ON CONFLICT ON CONSTRAINT inbound_parts_part_key DO UPDATE
          SET data = EXCLUDED.data, data_coding = EXCLUDED.data_coding, received_at = now(), inbound_id = NULL
          WHERE inbound_parts.inbound_id IS NOT NULL
            AND (inbound_parts.data <> EXCLUDED.data
                 OR inbound_parts.received_at < now() - make_interval(secs => ${repeatWindowSeconds}::float8))`,
  );
}

/**
 * Groups in which one of `parts` takes the place of a waiting (not yet joined) segment with other octets.
 * An SMSC delivers a segment again as it was, so such a part is a new SMS reusing the reference, and the
 * waiting set will not complete with it.
 */
export async function findSupersededGroups(tx: Executor, parts: readonly NewPart[]): Promise<PartGroup[]> {
  if (parts.length === 0) return [];
  const rows = await queryRows<GroupRow>(
    tx,
    sql`SELECT DISTINCT s.upstream_id, s.source, s.destination, s.ref, s.total
        FROM unnest(${sql.param(parts.map((p) => p.upstreamId))}::text[],
                    ${sql.param(parts.map((p) => p.source))}::text[],
                    ${sql.param(parts.map((p) => p.destination))}::text[],
                    ${sql.param(parts.map((p) => p.ref))}::int[],
                    ${sql.param(parts.map((p) => p.total))}::int[],
                    ${sql.param(parts.map((p) => p.seq))}::int[],
                    ${sql.param(parts.map((p) => p.data.toString("hex")))}::text[])
          AS p(upstream_id, source, destination, ref, total, seq, data_hex)
        JOIN inbound_parts s ON s.upstream_id = p.upstream_id AND s.source = p.source
          AND s.destination = p.destination AND s.ref = p.ref AND s.total = p.total AND s.seq = p.seq
        WHERE s.inbound_id IS NULL AND s.data <> decode(p.data_hex, 'hex')`,
  );
  return rows.map(toGroup);
}

interface PendingRow extends Record<string, unknown> {
  id: string;
  upstream_id: string;
  source: string;
  destination: string;
  ref: number;
  total: number;
  seq: number;
  data_hex: string;
  data_coding: number;
  received_at: string | Date;
  dcs0_charset: Dcs0Charset | null;
}

/** Every segment of the groups not yet joined into a message (the unique key's index serves it). */
export async function loadPendingParts(tx: Executor, groups: readonly PartGroup[]): Promise<PendingPart[]> {
  if (groups.length === 0) return [];
  const rows = await queryRows<PendingRow>(
    tx,
    sql`SELECT p.id, p.upstream_id, p.source, p.destination, p.ref, p.total, p.seq,
               encode(p.data, 'hex') AS data_hex, p.data_coding, p.received_at, u.dcs0_charset
        FROM unnest(${sql.param(groups.map((g) => g.upstreamId))}::text[],
                    ${sql.param(groups.map((g) => g.source))}::text[],
                    ${sql.param(groups.map((g) => g.destination))}::text[],
                    ${sql.param(groups.map((g) => g.ref))}::int[],
                    ${sql.param(groups.map((g) => g.total))}::int[])
          AS g(upstream_id, source, destination, ref, total)
        JOIN inbound_parts p ON p.upstream_id = g.upstream_id AND p.source = g.source
          AND p.destination = g.destination AND p.ref = g.ref AND p.total = g.total
        LEFT JOIN upstreams u ON u.id = p.upstream_id
        WHERE p.inbound_id IS NULL
        ORDER BY p.seq, p.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    upstreamId: r.upstream_id,
    source: r.source,
    destination: r.destination,
    ref: r.ref,
    total: r.total,
    seq: r.seq,
    data: Buffer.from(r.data_hex, "hex"),
    dataCoding: r.data_coding,
    receivedAt: new Date(r.received_at),
    dcs0Charset: r.dcs0_charset ?? "gsm7",
  }));
}

interface GroupRow extends Record<string, unknown> {
  upstream_id: string;
  source: string;
  destination: string;
  ref: number;
  total: number;
}

/** Groups with a segment waiting longer than `olderThanSeconds` (the pending partial index serves it). */
export async function findDueGroups(
  db: Executor,
  olderThanSeconds: number,
  limit: number,
): Promise<PartGroup[]> {
  const rows = await queryRows<GroupRow>(
    db,
    sql`SELECT DISTINCT upstream_id, source, destination, ref, total FROM inbound_parts
        WHERE inbound_id IS NULL AND received_at < now() - make_interval(secs => ${olderThanSeconds}::float8)
        LIMIT ${limit}`,
  );
  return rows.map(toGroup);
}

function toGroup(r: GroupRow): PartGroup {
  return {
    upstreamId: r.upstream_id,
    source: r.source,
    destination: r.destination,
    ref: r.ref,
    total: r.total,
  };
}

interface StoredRow extends Record<string, unknown> {
  id: string;
  account_id: string | null;
  upstream_id: string;
  upstream_name: string | null;
  from_address: string;
  to_number: string;
  text: string;
  encoding: Encoding;
  segments: number;
  incomplete: boolean;
  received_at: string | Date;
}

/**
 * Inserts inbound messages, each owned by the account its destination number is assigned to (none:
 * account null, kept for the admins), and returns them with their upstream's name for rendering.
 *
 * A whole SMS whose repeat key was stored within `repeatWindowSeconds` is a repeat: not inserted, so not
 * returned either (and it gets no event: the caller builds those from what this returns). The key's
 * upsert decides, the way upsertParts does for segments: a key new, or older than the window, is
 * (re)stamped and returned, and only those messages go in. A copy being stored at the same moment by
 * another transaction makes this one wait on the primary key and then collide with it, so no lock is
 * needed; keys go in sorted, so two batches holding the same keys wait rather than deadlock. All of it
 * in one statement: no round trip more than before repeats were recognised. Repeat keys must be
 * distinct within the call (one statement cannot update a row twice).
 */
export async function insertInboundMessages(
  tx: Executor,
  items: readonly NewInbound[],
  repeatWindowSeconds = 0,
): Promise<StoredInbound[]> {
  if (items.length === 0) return [];
  const rows = await queryRows<StoredRow>(
    tx,
    sql`WITH v AS (
          SELECT * FROM unnest(${sql.param(items.map((i) => i.id))}::text[],
                               ${sql.param(items.map((i) => i.upstreamId))}::text[],
                               ${sql.param(items.map((i) => i.from))}::text[],
                               ${sql.param(items.map((i) => i.to))}::text[],
                               ${sql.param(items.map((i) => i.text))}::text[],
                               ${sql.param(items.map((i) => i.encoding))}::text[],
                               ${sql.param(items.map((i) => i.dataCoding))}::int[],
                               ${sql.param(items.map((i) => i.segments))}::int[],
                               ${sql.param(items.map((i) => (i.incomplete ? 1 : 0)))}::int[],
                               ${sql.param(items.map((i) => i.receivedAt?.toISOString() ?? ""))}::text[],
                               ${sql.param(items.map((i) => i.repeatKey?.toString("hex") ?? ""))}::text[])
            AS v(id, upstream_id, from_address, to_number, text, encoding, data_coding, segments,
                 incomplete, received_at, repeat_key_hex)
        ),
        fresh AS (
          INSERT INTO inbound_repeat_keys (key)
          SELECT decode(v.repeat_key_hex, 'hex') FROM v WHERE v.repeat_key_hex <> '' ORDER BY 1
          ON CONFLICT (key) DO UPDATE SET received_at = now()
            WHERE inbound_repeat_keys.received_at < now() - make_interval(secs => ${repeatWindowSeconds}::float8)
          RETURNING encode(key, 'hex') AS key_hex
        ),
        ins AS (
          INSERT INTO inbound_messages (id, account_id, upstream_id, from_address, to_number, text, encoding,
                                        data_coding, segments, incomplete, received_at)
          SELECT v.id, n.account_id, v.upstream_id, v.from_address, v.to_number, v.text, v.encoding,
                 v.data_coding, v.segments, v.incomplete = 1, coalesce(nullif(v.received_at, '')::timestamptz, now())
          FROM v LEFT JOIN numbers n ON n.number = v.to_number
          WHERE v.repeat_key_hex = '' OR v.repeat_key_hex IN (SELECT key_hex FROM fresh)
          RETURNING id, account_id, upstream_id, from_address, to_number, text, encoding, segments,
                    incomplete, received_at
        )
        SELECT ins.*, u.name AS upstream_name FROM ins LEFT JOIN upstreams u ON u.id = ins.upstream_id
        ORDER BY ins.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    upstreamId: r.upstream_id,
    upstreamName: r.upstream_name,
    from: r.from_address,
    to: r.to_number,
    text: r.text,
    encoding: r.encoding,
    segments: r.segments,
    incomplete: r.incomplete,
    receivedAt: new Date(r.received_at),
  }));
}

/** Marks segments as joined into their message. */
export async function linkParts(
  tx: Executor,
  links: ReadonlyArray<{ partId: string; inboundId: string }>,
): Promise<void> {
  if (links.length === 0) return;
  await tx.execute(
    sql`UPDATE inbound_parts SET inbound_id = c.inbound_id
        FROM unnest(${sql.param(links.map((l) => l.partId))}::text[],
                    ${sql.param(links.map((l) => l.inboundId))}::text[]) AS c(part_id, inbound_id)
        WHERE inbound_parts.id = c.part_id`,
  );
}

/** What the sweeper deletes once it is past the repeat window: it only takes space by then. */
export type RetentionTable = "joined parts" | "repeat keys";

/**
 * Forgets whole SMS whose answer the SMSC has read (`keys`: their repeat keys): it will not deliver
 * them again, so from now on the same text from the same sender is a new SMS, not a repeat.
 */
export async function forgetRepeatKeys(db: Executor, keys: readonly Buffer[]): Promise<void> {
  // Rows locked in key order, as the store's insert takes them, so the two cannot deadlock.
  await queryRows(
    db,
    sql`DELETE FROM inbound_repeat_keys WHERE key IN (
          SELECT key FROM inbound_repeat_keys
          WHERE key IN (SELECT decode(h, 'hex') FROM unnest(${sql.param(keys.map((k) => k.toString("hex")))}::text[]) AS h)
          ORDER BY key
          FOR UPDATE)`,
  );
}

/**
 * Deletes up to `limit` rows of `what` older than `olderThanSeconds`: segments joined into a message (a
 * late repeat would start a new set either way) or repeat keys of whole SMS (a late copy would be stored
 * as a new message either way). Returns how many.
 */
export function deleteExpired(
  tx: Executor,
  what: RetentionTable,
  olderThanSeconds: number,
  limit: number,
): Promise<number> {
  const cutoff = sql`now() - make_interval(secs => ${olderThanSeconds}::float8)`;
  const deleted =
    what === "joined parts"
      ? sql`DELETE FROM inbound_parts WHERE id IN (
              SELECT id FROM inbound_parts
              WHERE inbound_id IS NOT NULL AND received_at < ${cutoff} LIMIT ${limit})
            RETURNING 1`
      : sql`DELETE FROM inbound_repeat_keys WHERE key IN (
              SELECT key FROM inbound_repeat_keys WHERE received_at < ${cutoff} LIMIT ${limit})
            RETURNING 1`;
  return countRows(tx, deleted);
}
