/**
 * Delivery receipts, end to end: the handler PoolRuntime hands every receipt deliver_sm / data_sm to
 * (`runtime.setReceiptHandler(processor)`), the batched writer that stores them and answers each only
 * after COMMIT (ESME_ROK; ESME_RX_T_APPN when the database cannot take them, so the SMSC delivers again),
 * and the sweeper that matches receipts which arrived before their part's SMSC id was stored.
 */
import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import type { InboundPdu } from "../../smpp/net/types.js";
import type { InboundPduHandler } from "../upstream-runtime-pools.js";
import { UnmatchedSweeper, type UnmatchedSweeperOptions } from "./unmatched.js";
import {
  ReceiptWriter,
  type ReceiptWriterOptions,
  type ReceiptWriterStats,
  type UpstreamDirectory,
} from "./writer.js";

export interface ReceiptProcessorOptions {
  db: Database;
  /** Upstream settings (message_id_format, dcs0_charset) and names; the PoolRuntime of this process. */
  upstreams: UpstreamDirectory;
  /** Batching of the writer (most receipts per transaction, transactions at once). */
  writer?: Omit<ReceiptWriterOptions, "logger" | "matchHorizonMs">;
  /** How often, and how far back, receipts still unmatched are tried again. */
  sweeper?: Omit<UnmatchedSweeperOptions, "logger" | "matchHorizonMs">;
  /**
   * Only a part sent this long before its receipt came is matched, on arrival and by the sweeper alike
   * (config `RECEIPT_MATCH_HORIZON`, horizon.ts); ms. Default 10 d.
   */
  matchHorizonMs?: number;
  logger?: Logger | undefined;
}

export class ReceiptProcessor implements InboundPduHandler {
  private readonly writer: ReceiptWriter;
  private readonly sweeper: UnmatchedSweeper;

  constructor(options: ReceiptProcessorOptions) {
    const names = (id: string) => options.upstreams.get(id)?.config.name ?? null;
    this.writer = new ReceiptWriter(options.db, options.upstreams, names, {
      ...options.writer,
      matchHorizonMs: options.matchHorizonMs,
      logger: options.logger,
    });
    this.sweeper = new UnmatchedSweeper(options.db, options.upstreams, names, {
      ...options.sweeper,
      matchHorizonMs: options.matchHorizonMs,
      logger: options.logger,
    });
  }

  /** Counters of the writer (stored, matched on arrival, refused, batches). */
  get stats(): Readonly<ReceiptWriterStats> {
    return this.writer.stats;
  }

  /** Starts the sweeper. Receipts are taken whether or not it runs. */
  start(): void {
    this.sweeper.start();
  }

  /**
   * Resolves with the deliver_sm_resp command_status once the receipt is committed (ESME_ROK) or could
   * not be (ESME_RX_T_APPN; ESME_RX_P_APPN when the database refuses its data). Matching is by upstream
   * and SMSC id, so the session does not matter.
   */
  handle(upstreamId: string, pdu: InboundPdu, _sessionId: string): Promise<number> {
    return this.writer.handle(upstreamId, pdu);
  }

  /** Matches waiting receipts now (the sweeper's job, callable from tests and after a restart). */
  sweep(): Promise<number> {
    return this.sweeper.sweep();
  }

  /** Stops: later receipts are answered ESME_RX_T_APPN; queued ones are stored; the sweeper stops. */
  async stop(): Promise<void> {
    await this.writer.close();
    await this.sweeper.stop();
  }
}
