import { connect, type Socket } from "node:net";
import { PduConnection } from "../../../src/smpp/net/pdu-connection.js";
import type { Pdu } from "../../../src/smpp/pdu.js";

type BindCommand = "bind_transmitter" | "bind_receiver" | "bind_transceiver";

/**
 * A bare ESME for the simulator tests: one socket, requests matched to responses by sequence number,
 * every deliver_sm collected and answered with `deliverStatus` (or not at all when it is null).
 * Built on PduConnection so the simulator is checked against the same wire code, not a second codec.
 */
export class TestEsme {
  readonly delivered: Pdu[] = [];
  readonly received: Pdu[] = [];
  /** command_status answered to deliver_sm; null leaves them unanswered. */
  deliverStatus: number | null = 0;
  closed = false;
  closeError: Error | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, (pdu: Pdu) => void>();
  private readonly watchers: Array<() => void> = [];
  private constructor(
    readonly socket: Socket,
    readonly connection: PduConnection,
  ) {}

  static connect(port: number): Promise<TestEsme> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        let esme: TestEsme | undefined;
        const connection = new PduConnection(socket, {
          onPdu: (pdu) => esme?.onPdu(pdu),
          onDecodeError: () => {},
          onClose: (err) => {
            if (!esme) return;
            esme.closed = true;
            esme.closeError = err;
            esme.notify();
          },
        });
        esme = new TestEsme(socket, connection);
        resolve(esme);
      });
    });
  }

  /** Connects and binds; resolves with the bind response (check its status). */
  static async bound(
    port: number,
    command: BindCommand = "bind_transceiver",
    systemId = "test",
    password = "pw",
  ): Promise<{ esme: TestEsme; resp: Pdu }> {
    const esme = await TestEsme.connect(port);
    const resp = await esme.bind(command, systemId, password);
    return { esme, resp };
  }

  bind(command: BindCommand, systemId: string, password: string): Promise<Pdu> {
    return this.request({
      command,
      command_status: 0,
      sequence_number: 0,
      system_id: systemId,
      password,
      system_type: "",
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: "",
    });
  }

  /** Sends a request (its sequence number is assigned here) and resolves with the response. */
  request(pdu: Pdu): Promise<Pdu> {
    this.seq += 1;
    const seq = this.seq;
    pdu.sequence_number = seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.connection.send(pdu);
    });
  }

  /** Sends a request without waiting for its response. */
  send(pdu: Pdu): number {
    this.seq += 1;
    pdu.sequence_number = this.seq;
    this.connection.send(pdu);
    return this.seq;
  }

  submit(fields: Partial<Omit<Extract<Pdu, { command: "submit_sm" }>, "command">> = {}): Promise<Pdu> {
    return this.request(submitSm(fields));
  }

  /** Resolves once `predicate` holds (checked after every PDU and at close); rejects after `ms`. */
  until(predicate: () => boolean, ms = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("condition not met in time")), ms);
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.watchers.push(check);
        }
      };
      this.watchers.push(check);
    });
  }

  close(): void {
    this.connection.destroy();
  }

  private notify(): void {
    const watchers = this.watchers.splice(0);
    for (const w of watchers) w();
  }

  private onPdu(pdu: Pdu): void {
    this.received.push(pdu);
    const waiter = this.waiting.get(pdu.sequence_number);
    if (waiter && (pdu.command.endsWith("_resp") || pdu.command === "generic_nack")) {
      this.waiting.delete(pdu.sequence_number);
      waiter(pdu);
    } else if (pdu.command === "deliver_sm") {
      this.delivered.push(pdu);
      if (this.deliverStatus !== null) {
        this.connection.send({
          command: "deliver_sm_resp",
          command_status: this.deliverStatus,
          sequence_number: pdu.sequence_number,
          message_id: "",
        });
      }
    } else if (pdu.command === "enquire_link") {
      this.connection.send({
        command: "enquire_link_resp",
        command_status: 0,
        sequence_number: pdu.sequence_number,
      });
    } else if (pdu.command === "unbind") {
      this.connection.send({
        command: "unbind_resp",
        command_status: 0,
        sequence_number: pdu.sequence_number,
      });
    }
    this.notify();
  }
}

/** A submit_sm with sensible defaults. */
export function submitSm(
  fields: Partial<Omit<Extract<Pdu, { command: "submit_sm" }>, "command">> = {},
): Extract<Pdu, { command: "submit_sm" }> {
  return {
    command: "submit_sm",
    command_status: 0,
    sequence_number: 0,
    service_type: "",
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: "ACME",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: "447700900123",
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from("hello"),
    ...fields,
  };
}

/** Waits until `predicate` holds, polling (for state on the simulator side). Bounded. */
export async function eventually(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
