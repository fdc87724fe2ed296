/**
 * Inbound SMS in, stored, then acknowledged (DESIGN.md §2). The PoolRuntime hands every deliver_sm /
 * data_sm that is not a receipt to {@link InboundProcessor.handle}; PDUs arriving together from every
 * session gather into batches, one transaction stores a batch, and only after its COMMIT is each PDU
 * answered ESME_ROK. When the database cannot take it the answer is ESME_RX_T_APPN, so the SMSC keeps
 * the SMS and delivers it again later; one whose data the database refuses (it would be refused again
 * at every redelivery) is answered ESME_RX_P_APPN, alone.
 *
 * A segment of a concatenated SMS is stored as a row of its own (inbound_parts); the transaction that
 * stores the last missing one joins the set into one inbound message. Nothing is held in memory between
 * PDUs, so a restart between segments loses nothing, and segments may arrive on any session or instance.
 * A segment that takes the place of a waiting one with other octets is a new SMS reusing the reference
 * (8-bit references wrap after 256): the waiting set is surfaced at once, flagged incomplete, rather than
 * merged with the new one, which starts a set of its own.
 *
 * Acknowledging after COMMIT means an SMS can be stored and still be delivered again: the connection
 * drops after COMMIT, before our deliver_sm_resp reaches the SMSC, or the SMSC stops waiting for it.
 * The SMSC then re-sends it, on any session. A segment is recognised by its place in its set (same
 * upstream, source, destination, reference, total, seq and octets within the repeat window). A whole
 * SMS carries no id at all (the SMSC numbers only what we submit), so it is recognised by the same
 * things minus the reference: upstream, source, destination, data_coding and user data octets, within
 * the same window (`repeatWindowMs`, default 1 h). A repeat is answered ESME_ROK and neither stored nor
 * announced again. A whole SMS stays recognisable only until the SMSC has certainly read our answer in
 * time (the session tells, see AnswerWatch: usually within milliseconds, within a second or so on a
 * quiet link): from then on it cannot come again, so the same text from the same sender is a user
 * writing it again — a second "YES" — and stored as a new message. Only a copy that arrives before that
 * proof (or after an answer the SMSC may have missed) counts as a repeat.
 */

import type { Logger } from "pino";
import type { Database, Executor } from "../../db/client.js";
import type { AnswerWatch, InboundPdu } from "../../smpp/net/types.js";
import { CommandStatus } from "../../smpp/status.js";
import { Batcher } from "../dispatch/batcher.js";
import { withConflictRetry } from "../dispatch/conflict-retry.js";
import { newId } from "../ids.js";
import { isDatabaseUnavailable, refusesItsData } from "../service-errors.js";
import type { Dcs0Charset } from "../upstream-runtime.js";
import type { InboundPduHandler } from "../upstream-runtime-pools.js";
import { type DecodedInbound, decodeInbound, type InboundSegment } from "./decode.js";
import { assembleGroups, type InboundStored, type InboundToRecord, recordInbound } from "./record.js";
import { repeatKey } from "./repeat-key.js";
import {
  findSupersededGroups,
  forgetRepeatKeys,
  groupKey,
  loadPendingParts,
  lockGroups,
  type NewPart,
  type PartGroup,
  type StoredInbound,
  upsertParts,
} from "./statements.js";

/** Where the processor reads an upstream's DCS 0 charset (the PoolRuntime satisfies it). */
export interface InboundUpstreams {
  get(upstreamId: string): { readonly config: { readonly dcs0_charset: Dcs0Charset } } | undefined;
}

export interface InboundProcessorOptions {
  /** Most PDUs stored per transaction. Default 500. */
  maxBatch?: number;
  /** Transactions storing inbound SMS at once. Default 2. */
  maxConcurrent?: number;
  /**
   * How long an SMS identical to one already stored counts as a repeat of it (the SMSC sending again
   * what we acknowledged, e.g. after a lost deliver_sm_resp) rather than a new SMS: a whole SMS with the
   * same text from the same sender to the same number, or a segment identical to one already joined
   * into a message (rather than a new SMS that reuses the reference). A repeat is acknowledged, not
   * stored. The sweeper's `repeatRetentionMs` should be at least as long; ms. Default 3_600_000 (1 h).
   */
  repeatWindowMs?: number;
  /** Told after each COMMIT of the inbound messages it created (the metrics count them). Default none. */
  onStored?: InboundStored | undefined;
  logger?: Logger | undefined;
}

export interface InboundProcessorStats {
  /** PDUs acknowledged ESME_ROK after their transaction committed (whole SMS and segments, repeats included). */
  stored: number;
  /** Inbound messages created (whole SMS, and sets completed by a segment). */
  messages: number;
  /** Whole SMS acknowledged without being stored: repeats of one stored within the repeat window. */
  repeats: number;
  /** PDUs answered ESME_RX_T_APPN because they could not be stored. */
  refused: number;
  /** Whole SMS forgotten (repeat keys deleted) once the SMSC was seen to read our answer. */
  forgotten: number;
  /** Transactions committed. */
  batches: number;
}

interface Pending {
  upstreamId: string;
  decoded: DecodedInbound;
  /** A whole SMS's identity (repeat-key.ts); undefined for a segment. */
  repeatKey: Buffer | undefined;
  /** Tells when the SMSC read our answer, when the session can. */
  answer: AnswerWatch | undefined;
  resolve: (status: number) => void;
}

export class InboundProcessor implements InboundPduHandler {
  private readonly batcher: Batcher<Pending>;
  private readonly counters: InboundProcessorStats = {
    stored: 0,
    messages: 0,
    repeats: 0,
    refused: 0,
    forgotten: 0,
    batches: 0,
  };
  private readonly repeatWindowSeconds: number;
  /** Repeat keys of SMS the SMSC took, deleted in batches. */
  private readonly forgetter: Batcher<Buffer>;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly upstreams: InboundUpstreams,
    private readonly options: InboundProcessorOptions = {},
  ) {
    this.repeatWindowSeconds = (options.repeatWindowMs ?? 3_600_000) / 1000;
    this.batcher = new Batcher((items) => this.flush(items), {
      maxBatch: options.maxBatch ?? 500,
      maxConcurrent: options.maxConcurrent ?? 2,
    });
    this.forgetter = new Batcher((keys) => this.forget(keys), { maxBatch: 500 });
  }

  get stats(): Readonly<InboundProcessorStats> {
    return { ...this.counters };
  }

  /** The runtime's inbound handler: resolves with the response's command_status once stored (or not). */
  handle(upstreamId: string, pdu: InboundPdu, _sessionId?: string, answer?: AnswerWatch): Promise<number> {
    if (this.closed) return Promise.resolve(CommandStatus.ESME_RX_T_APPN);
    const dcs0 = this.upstreams.get(upstreamId)?.config.dcs0_charset ?? "gsm7";
    const decoded = decodeInbound(pdu, dcs0);
    const key = decoded.kind === "single" ? repeatKey(upstreamId, decoded) : undefined;
    return new Promise<number>((resolve) => {
      this.batcher.add({ upstreamId, decoded, repeatKey: key, answer, resolve });
    });
  }

  /** Stops taking PDUs (later ones are answered ESME_RX_T_APPN) and stores what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.batcher.drain();
    await this.forgetter.drain();
  }

  /** Deletes the repeat keys of SMS the SMSC was seen to take; a failure only keeps them recognisable. */
  private async forget(keys: Buffer[]): Promise<void> {
    try {
      await withConflictRetry(() => forgetRepeatKeys(this.db, keys));
      this.counters.forgotten += keys.length;
    } catch (error) {
      this.options.logger?.warn(
        { err: error, keys: keys.length },
        "forgetting inbound SMS the SMSC took failed; the same text stays a repeat until the window ends",
      );
    }
  }

  private async flush(items: Pending[]): Promise<void> {
    try {
      await this.storeAll(items);
      return;
    } catch (error) {
      if (items.length === 1 || isDatabaseUnavailable(error)) {
        this.refuse(items, error);
        return;
      }
    }
    // Something in the batch, not the database, failed: store the PDUs one by one so that only the one
    // that cannot be stored is refused, not its neighbours.
    for (const item of items) {
      try {
        await this.storeAll([item]);
      } catch (error) {
        this.refuse([item], error);
      }
    }
  }

  private async storeAll(items: Pending[]): Promise<void> {
    const { created, repeats } = await withConflictRetry(() =>
      this.db.transaction((tx) => this.store(tx, items)),
    );
    this.counters.batches++;
    this.counters.stored += items.length;
    this.counters.messages += created.length;
    this.counters.repeats += repeats;
    if (created.length > 0) this.options.onStored?.(created);
    if (repeats > 0) {
      this.options.logger?.info(
        { repeats },
        "inbound SMS delivered again within the repeat window; not stored again",
      );
    }
    for (const item of items) {
      // Before the answer goes: the session takes the callback with it.
      const key = item.repeatKey;
      if (key !== undefined) item.answer?.onRead(() => this.forgetter.add(key));
      item.resolve(CommandStatus.ESME_ROK);
    }
  }

  private refuse(items: Pending[], error: unknown): void {
    this.counters.refused += items.length;
    // One PDU whose data the database refuses would be refused again at every redelivery, and an SMSC
    // that delivers in order would hold everything behind it: that one is refused for good.
    const forGood = items.length === 1 && refusesItsData(error);
    this.options.logger?.error(
      {
        err: error,
        pdus: items.length,
        ...(forGood && { from: items[0]?.decoded.from, to: items[0]?.decoded.to }),
      },
      forGood
        ? "an inbound SMS cannot be stored; refused for good (ESME_RX_P_APPN)"
        : "storing inbound SMS failed",
    );
    const status = forGood ? CommandStatus.ESME_RX_P_APPN : CommandStatus.ESME_RX_T_APPN;
    for (const item of items) item.resolve(status);
  }

  /**
   * Stores one batch; returns how many inbound messages it created and how many whole SMS were repeats.
   * A segment that takes the place of an earlier one of the batch with other octets belongs to a later
   * SMS reusing the reference: it and what follows are stored after what came before, in the same
   * transaction, so that it finds the earlier set stored as it would in a later batch.
   */
  private async store(
    tx: Executor,
    items: Pending[],
  ): Promise<{ created: StoredInbound[]; repeats: number }> {
    const created: StoredInbound[] = [];
    let repeats = 0;
    for (const round of arrivalRounds(items)) {
      const stored = await this.storeRound(tx, round);
      created.push(...stored.created);
      repeats += stored.repeats;
    }
    return { created, repeats };
  }

  private async storeRound(
    tx: Executor,
    items: Pending[],
  ): Promise<{ created: StoredInbound[]; repeats: number }> {
    // One message per repeat key and one row per part key: a repeat inside the batch is a repeat like
    // any other.
    const singles = new Map<string, InboundToRecord>();
    const parts = new Map<string, NewPart>();
    let singlePdus = 0;
    for (const { upstreamId, decoded: d, repeatKey: identity } of items) {
      if (d.kind === "single") {
        singlePdus++;
        const key = identity ?? repeatKey(upstreamId, d);
        const hex = key.toString("hex");
        if (singles.has(hex)) continue;
        singles.set(hex, {
          message: {
            id: newId("inb"),
            upstreamId,
            from: d.from,
            to: d.to,
            text: d.text,
            encoding: d.encoding,
            dataCoding: d.dataCoding,
            segments: 1,
            incomplete: false,
            receivedAt: null,
            repeatKey: key,
          },
          partIds: [],
        });
        continue;
      }
      const key = partKey(upstreamId, d);
      if (!parts.has(key)) {
        parts.set(key, {
          ...partGroup(upstreamId, d),
          id: newId("inp"),
          seq: d.seq,
          data: d.data,
          dataCoding: d.dataCoding,
        });
      }
    }
    const records = [...singles.values()];
    const singleIds = new Set(records.map((r) => r.message.id));
    let surfaced: StoredInbound[] = [];
    if (parts.size > 0) {
      const groups = new Map<string, PartGroup>();
      for (const p of parts.values()) groups.set(groupKey(p), p);
      await lockGroups(tx, [...groups.values()]);
      surfaced = await this.surfaceSuperseded(tx, await findSupersededGroups(tx, [...parts.values()]));
      await upsertParts(tx, [...parts.values()], this.repeatWindowSeconds);
      const pending = await loadPendingParts(tx, [...groups.values()]);
      records.push(...assembleGroups(pending, { incomplete: false }));
    }
    const stored = await recordInbound(tx, records, {
      logger: this.options.logger,
      repeatWindowSeconds: this.repeatWindowSeconds,
    });
    const storedSingles = stored.filter((m) => singleIds.has(m.id)).length;
    return { created: [...stored, ...surfaced], repeats: singlePdus - storedSingles };
  }

  /**
   * A new SMS reusing the reference of a set still waiting (see findSupersededGroups): that set will not
   * complete, so what arrived of it is surfaced now, flagged incomplete, as the sweeper would after the
   * wait; its segments then make way for the new SMS's (upsertParts replaces joined ones that differ).
   */
  private async surfaceSuperseded(tx: Executor, groups: readonly PartGroup[]): Promise<StoredInbound[]> {
    if (groups.length === 0) return [];
    const records = assembleGroups(await loadPendingParts(tx, groups), { incomplete: true });
    const stored = await recordInbound(tx, records, { logger: this.options.logger });
    for (const r of records) {
      this.options.logger?.warn(
        { inbound_id: r.message.id, segments: r.message.segments, upstream_id: r.message.upstreamId },
        "concatenated inbound SMS surfaced with segments missing: a new SMS reuses its reference",
      );
    }
    return stored;
  }
}

function partGroup(upstreamId: string, d: InboundSegment): PartGroup {
  return { upstreamId, source: d.from, destination: d.to, ref: d.ref, total: d.total };
}

function partKey(upstreamId: string, d: InboundSegment): string {
  return `${groupKey(partGroup(upstreamId, d))}\u0000${d.seq}`;
}

/**
 * The batch in arrival order, cut before each segment that takes the place of an earlier one since the
 * last cut with other octets (see {@link InboundProcessor.store}). Nearly always one round.
 */
function arrivalRounds(items: readonly Pending[]): Pending[][] {
  const rounds: Pending[][] = [];
  let round: Pending[] = [];
  let seen = new Map<string, Buffer>();
  for (const item of items) {
    const d = item.decoded;
    if (d.kind === "part") {
      const key = partKey(item.upstreamId, d);
      const earlier = seen.get(key);
      if (earlier !== undefined && !earlier.equals(d.data)) {
        rounds.push(round);
        round = [];
        seen = new Map();
      }
      if (!seen.has(key)) seen.set(key, d.data);
    }
    round.push(item);
  }
  if (round.length > 0) rounds.push(round);
  return rounds;
}
