/** Concatenation info found in a submit: from a UDH (IE 0x00 or 0x08) or from SAR TLVs. */
export interface SubmitConcat {
  scheme: "udh8" | "udh16" | "sar";
  ref: number;
  total: number;
  /** 1-based. */
  seq: number;
}

/** One received submit_sm or data_sm, as the simulator kept it for inspection. */
export interface SubmitRecord {
  command: "submit_sm" | "data_sm";
  /** The message id the simulator answered with ("" when it answered an error). */
  messageId: string;
  /** command_status of the response. */
  status: number;
  systemId: string;
  /** Which connection it came in on. */
  sessionId: number;
  source: string;
  destination: string;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** The user data exactly as received (short_message, or message_payload when used), UDH included. */
  payload: Buffer;
  /** The UDH octets (with the UDHL octet) when esm_class has UDHI. */
  udh?: Buffer;
  concat?: SubmitConcat;
  /** The text decoded from the payload without its UDH (GSM 03.38, Latin-1, UCS-2 or ASCII by data_coding). */
  text: string;
  receivedAt: number;
  /**
   * The connection whose ESME answered this submit's receipt ESME_ROK (the latest, should the SMSC
   * deliver it again); undefined while none has. Receipts go to any receiver bind of the system_id, so
   * it often differs from `sessionId`.
   */
  receiptSessionId?: number;
}

/** A bounded list of the latest records: once full, the oldest is dropped. */
export class SubmitLog {
  private readonly items: SubmitRecord[] = [];
  private start = 0;
  private dropped = 0;

  /** @param capacity records kept; 0 keeps none. */
  constructor(readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  add(record: SubmitRecord): void {
    if (this.capacity <= 0) return;
    if (this.items.length < this.capacity) {
      this.items.push(record);
      return;
    }
    this.items[this.start] = record;
    this.start = (this.start + 1) % this.capacity;
    this.dropped += 1;
  }

  /** Records oldest first. */
  list(): SubmitRecord[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** Records that fell off because the log was full. */
  get droppedCount(): number {
    return this.dropped;
  }

  clear(): void {
    this.items.length = 0;
    this.start = 0;
    this.dropped = 0;
  }

  /**
   * Groups records by what the message is (source, destination, concat position, payload) and
   * returns the groups seen more than once: resubmissions the ESME sent for the same content.
   */
  duplicates(): SubmitRecord[][] {
    const groups = new Map<string, SubmitRecord[]>();
    for (const r of this.list()) {
      if (r.status !== 0) continue;
      const c = r.concat;
      const key = [
        r.source,
        r.destination,
        r.dataCoding,
        c ? `${c.ref}/${c.total}/${c.seq}` : "",
        r.payload.toString("hex"),
      ].join("|");
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    return [...groups.values()].filter((g) => g.length > 1);
  }
}
