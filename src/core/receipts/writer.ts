/**
 * Delivery receipts in, stored, then acknowledged (DESIGN.md §2). Receipts arriving from every session
 * of every upstream gather into batches; one transaction stores a batch (receipt rows, part states, the
 * roll-up to messages, outbox events) and only after its COMMIT is each deliver_sm answered ESME_ROK. If
 * the batch cannot be stored, every deliver_sm in it is answered ESME_RX_T_APPN so the SMSC tries again;
 * if the database refuses its data, it is halved down to the receipt refused, answered ESME_RX_P_APPN.
 *
 * Matching is by upstream and SMSC id key (match-keys.ts), never by session, so a receipt finds its part
 * whichever session or instance it arrives on. A receipt whose part is not known yet (it came before the
 * submit_sm_resp was stored) is stored unmatched; the result writer and the sweeper match it later.
 * One whose submit this process sent and has not committed the result of yet waits for that commit
 * first, in memory and bounded (results/pending-ids.ts), so it matches on arrival instead. Only a part
 * sent within the match horizon is a candidate (horizon.ts): a receipt naming only older ones is not
 * theirs (the id was handed out again, or the receipt is another ESME's) and waits unmatched.
 */

import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { type Database, type Executor, queryRows } from "../../db/client.js";
import { smscIdKey } from "../../db/smsc-id.js";
import { storableText } from "../../db/storable-text.js";
import { encodePdu } from "../../smpp/codec.js";
import type { InboundPdu } from "../../smpp/net/types.js";
import type { Pdu } from "../../smpp/pdu.js";
import { parseReceipt, type Receipt } from "../../smpp/receipt.js";
import { CommandStatus } from "../../smpp/status.js";
import { Batcher, WRITER_LINGER_MS } from "../dispatch/batcher.js";
import { withConflictRetry } from "../dispatch/conflict-retry.js";
import { newId } from "../ids.js";
import type { UpstreamNames } from "../results/message-events.js";
import type { PendingIds } from "../results/pending-ids.js";
import { refusesItsData, writeInHalves } from "../service-errors.js";
import type { UpstreamConfig } from "../upstream-runtime.js";
import { applyPartReceipts, type PartReceipt } from "./apply.js";
import { DEFAULT_RECEIPT_MATCH_HORIZON_MS, PART_SENT_AT, receiptFitsPart } from "./horizon.js";
import { matchKeys } from "./match-keys.js";

/** Where the writer reads an upstream's receipt settings (the runtime satisfies it). */
export interface UpstreamDirectory {
  get(upstreamId: string): { readonly config: UpstreamConfig } | undefined;
}

export interface ReceiptWriterOptions {
  /** Most receipts stored per transaction. Default 1000. */
  maxBatch?: number;
  /** Transactions storing receipts at once. Default 2. */
  maxConcurrent?: number;
  /** Wait before a batch starts while the writer has a transaction free; ms. Default {@link WRITER_LINGER_MS}. */
  lingerMs?: number;
  /**
   * SMSC ids this process was given and has not committed yet: a receipt naming one waits (bounded,
   * before joining a batch) until it is committed. Absent: receipts are stored as they come.
   */
  pendingIds?: Pick<PendingIds, "whenSettled">;
  /**
   * Only a part sent this long before the receipt came is matched (config `RECEIPT_MATCH_HORIZON`,
   * horizon.ts); ms. Default {@link DEFAULT_RECEIPT_MATCH_HORIZON_MS} (10 d).
   */
  matchHorizonMs?: number;
  /** Told after each COMMIT of the receipts stored, each matched on arrival or held (the metrics count them). */
  onStored?: ((stored: ReadonlyArray<{ upstreamId: string; matched: boolean }>) => void) | undefined;
  logger?: Logger | undefined;
}

export interface ReceiptWriterStats {
  /** Receipts stored and acknowledged. */
  stored: number;
  /** Of them, matched to a part on arrival. */
  matched: number;
  /** Receipts answered ESME_RX_T_APPN because their batch could not be stored. */
  refused: number;
  /** Transactions committed. */
  batches: number;
}

interface Pending {
  upstreamId: string;
  pdu: InboundPdu;
  receipt: Receipt;
  /** Its part's possible smsc_id_key values (match-keys.ts). */
  keys: string[];
  resolve: (status: number) => void;
}

/** A part found for a key. */
interface PartRef {
  messageId: string;
  index: number;
}

export class ReceiptWriter {
  private readonly batcher: Batcher<Pending>;
  private readonly counters: ReceiptWriterStats = { stored: 0, matched: 0, refused: 0, batches: 0 };
  private closed = false;
  /** Receipts waiting for their submit's result to be committed, before they join a batch. */
  private readonly waiting = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly upstreams: UpstreamDirectory,
    private readonly names: UpstreamNames,
    private readonly options: ReceiptWriterOptions = {},
  ) {
    this.batcher = new Batcher((items) => this.flush(items), {
      maxBatch: options.maxBatch ?? 1000,
      maxConcurrent: options.maxConcurrent ?? 2,
      lingerMs: options.lingerMs ?? WRITER_LINGER_MS,
    });
  }

  get stats(): Readonly<ReceiptWriterStats> {
    return { ...this.counters };
  }

  /** The runtime's receipt handler: resolves with the deliver_sm_resp status once stored (or not). */
  handle(upstreamId: string, pdu: InboundPdu): Promise<number> {
    if (this.closed) return Promise.resolve(CommandStatus.ESME_RX_T_APPN);
    const dcs0 = this.upstreams.get(upstreamId)?.config.dcs0_charset ?? "gsm7";
    // data_sm has no short_message: its text, if any, is in message_payload.
    const receipt = storableReceipt(
      parseReceipt(pdu.command === "deliver_sm" ? pdu : { ...pdu, short_message: Buffer.alloc(0) }, dcs0),
    );
    const keys = this.keys(upstreamId, receipt);
    return new Promise<number>((resolve) => {
      const item = { upstreamId, pdu, receipt, keys, resolve };
      const settled = this.options.pendingIds?.whenSettled(upstreamId, keys);
      if (settled === undefined) {
        this.batcher.add(item);
        return;
      }
      // Only this receipt waits: the others go on into batches meanwhile.
      const wait = settled.then(() => {
        this.waiting.delete(wait);
        this.batcher.add(item);
      });
      this.waiting.add(wait);
    });
  }

  /** Stops taking receipts (later ones are answered ESME_RX_T_APPN) and stores what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.waiting]);
    await this.batcher.drain();
  }

  private async flush(items: Pending[]): Promise<void> {
    let matched: boolean[];
    try {
      matched = await withConflictRetry(() => this.db.transaction((tx) => this.store(tx, items)));
    } catch (error) {
      if (items.length > 1 && refusesItsData(error)) {
        // Something in the batch, not the database, failed: halves go on their own, so only the
        // receipt that cannot be stored is refused, not its neighbours.
        return writeInHalves(items, (half) => this.flush(half));
      }
      this.counters.refused += items.length;
      // One receipt whose data the database refuses would be refused again at every redelivery, and an
      // SMSC that delivers in order would hold everything behind it: that one is refused for good.
      const forGood = items.length === 1 && refusesItsData(error);
      this.options.logger?.error(
        {
          err: error,
          receipts: items.length,
          ...(forGood && { smsc_message_id: items[0]?.receipt.messageId, upstream_id: items[0]?.upstreamId }),
        },
        forGood ? "a receipt cannot be stored; refused for good (ESME_RX_P_APPN)" : "storing receipts failed",
      );
      const status = forGood ? CommandStatus.ESME_RX_P_APPN : CommandStatus.ESME_RX_T_APPN;
      for (const item of items) item.resolve(status);
      return;
    }
    this.counters.batches++;
    this.counters.stored += items.length;
    this.counters.matched += matched.filter(Boolean).length;
    this.options.onStored?.(
      items.map((item, i) => ({ upstreamId: item.upstreamId, matched: matched[i] === true })),
    );
    for (const item of items) item.resolve(CommandStatus.ESME_ROK);
  }

  /** Stores one batch; returns, in the order of `items`, whether each receipt matched a part. */
  private async store(tx: Executor, items: Pending[]): Promise<boolean[]> {
    const found = await findParts(
      tx,
      items.flatMap((item) =>
        item.keys.map((key) => ({ ref: item.upstreamId, upstreamId: item.upstreamId, key })),
      ),
      this.options.matchHorizonMs ?? DEFAULT_RECEIPT_MATCH_HORIZON_MS,
    );
    const rows = items.map((item) => {
      const key = item.keys.find((k) => found.has(`${item.upstreamId}\u0000${k}`));
      const part = key === undefined ? undefined : found.get(`${item.upstreamId}\u0000${key}`);
      const raw = item.receipt.messageId ?? "";
      return {
        id: newId("dlr"),
        upstreamId: item.upstreamId,
        smscMessageId: raw,
        smscIdKey: raw === "" ? "" : smscIdKey(raw),
        part,
        stat: item.receipt.stat,
        err: item.receipt.err,
        state: item.receipt.state,
        // Kept for the ones we could not place: they are the ones someone will want to look at.
        rawHex: part === undefined ? encodePdu(item.pdu as Pdu).toString("hex") : null,
        final: item.receipt.final,
      };
    });
    await tx.execute(
      sql`INSERT INTO receipts (id, upstream_id, smsc_message_id, smsc_id_key, message_id, part_index,
                                stat, err, state, raw_hex, matched_at)
          SELECT v.id, v.upstream_id, v.smsc_message_id, v.smsc_id_key, v.message_id, v.part_index,
                 v.stat, v.err, v.state, v.raw_hex, CASE WHEN v.message_id IS NULL THEN NULL ELSE now() END
          FROM unnest(${sql.param(rows.map((r) => r.id))}::text[],
                      ${sql.param(rows.map((r) => r.upstreamId))}::text[],
                      ${sql.param(rows.map((r) => r.smscMessageId))}::text[],
                      ${sql.param(rows.map((r) => r.smscIdKey))}::text[],
                      ${sql.param(rows.map((r) => r.part?.messageId ?? null))}::text[],
                      ${sql.param(rows.map((r) => r.part?.index ?? null))}::int[],
                      ${sql.param(rows.map((r) => r.stat))}::text[],
                      ${sql.param(rows.map((r) => r.err))}::text[],
                      ${sql.param(rows.map((r) => r.state))}::int[],
                      ${sql.param(rows.map((r) => r.rawHex))}::text[])
            AS v(id, upstream_id, smsc_message_id, smsc_id_key, message_id, part_index, stat, err, state, raw_hex)`,
    );
    const matched: PartReceipt[] = [];
    for (const r of rows) {
      if (r.part === undefined) continue;
      matched.push({
        messageId: r.part.messageId,
        partIndex: r.part.index,
        stat: r.stat,
        err: r.err,
        final: r.final,
      });
    }
    await applyPartReceipts(tx, matched, this.names);
    return rows.map((r) => r.part !== undefined);
  }

  /** Keys to look the receipt's part up with: the id's, then the text id's when it differs. */
  private keys(upstreamId: string, receipt: Receipt): string[] {
    const format = this.upstreams.get(upstreamId)?.config.message_id_format ?? "auto";
    const keys = new Set<string>();
    for (const raw of [receipt.messageId, receipt.textMessageId]) {
      if (raw !== null) for (const key of matchKeys(raw, format)) keys.add(key);
    }
    return [...keys];
  }
}

/**
 * One receipt's lookup of its part: by (upstream, smsc_id_key), for a receipt received at `receivedAt`
 * (PostgreSQL timestamptz text; absent: now, as on arrival). `ref` names the lookup in the result.
 */
export interface PartLookup {
  ref: string;
  upstreamId: string;
  key: string;
  receivedAt?: string;
}

/**
 * For many lookups in one indexed statement, the newest part each receipt can be for (sent within
 * `horizonMs` before it came, {@link receiptFitsPart}). The map key is `ref \0 key`.
 */
export async function findParts(
  tx: Executor,
  lookups: readonly PartLookup[],
  horizonMs: number,
): Promise<Map<string, PartRef>> {
  const out = new Map<string, PartRef>();
  if (lookups.length === 0) return out;
  const rows = await queryRows<{ ref: string; key: string; message_id: string; index: number }>(
    tx,
    sql`SELECT c.ref, c.key, p.message_id, p."index"
        FROM unnest(${sql.param(lookups.map((l) => l.ref))}::text[],
                    ${sql.param(lookups.map((l) => l.upstreamId))}::text[],
                    ${sql.param(lookups.map((l) => l.key))}::text[],
                    ${sql.param(lookups.map((l) => l.receivedAt ?? ""))}::text[])
          AS c(ref, upstream_id, key, received_at)
        JOIN message_parts p ON p.upstream_id = c.upstream_id AND p.smsc_id_key = c.key
        WHERE p.smsc_id_key IS NOT NULL
          AND ${receiptFitsPart(sql`coalesce(nullif(c.received_at, '')::timestamptz, now())`, PART_SENT_AT, horizonMs)}
        ORDER BY p.submitted_at NULLS FIRST, p.message_id, p."index"`,
  );
  // In submit order, so the map keeps the newest part of a key: SMSCs hand ids out again (counters
  // wrap or restart), and a receipt went to whichever old part the index returned last, leaving the
  // part it was for `sent` for good. Parts stored before sent_at existed are judged by submitted_at.
  for (const row of rows)
    out.set(`${row.ref}\u0000${row.key}`, { messageId: row.message_id, index: row.index });
  return out;
}

/**
 * The receipt's free-text fields as they can be stored and looked up: an id or err holding NUL (a
 * Latin-1 or UCS-2 receipt text can) failed the lookup and the insert of its whole batch, and the SMSC
 * redelivered them all, the same again.
 */
function storableReceipt(receipt: Receipt): Receipt {
  const text = (value: string | null) => (value === null ? null : storableText(value));
  return {
    ...receipt,
    messageId: text(receipt.messageId),
    textMessageId: text(receipt.textMessageId),
    err: text(receipt.err),
  };
}
