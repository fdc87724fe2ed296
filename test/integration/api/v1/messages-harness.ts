import { provideMessageService } from "../../../../src/api/routes/v1/messages/deps.js";
import { MessageService, type MessageServiceOptions } from "../../../../src/core/messages/service.js";
import type { AcceptedMessage, MessageSink } from "../../../../src/core/messages/sink.js";
import { type ApiHarness, type CallOptions, startApi } from "../harness.js";

/** A dispatcher stand-in that records what the accept pipeline handed over, call by call. */
export class RecordingSink implements MessageSink {
  readonly calls: AcceptedMessage[][] = [];

  enqueue(items: AcceptedMessage[]): void {
    this.calls.push(items);
  }

  get messages(): AcceptedMessage[] {
    return this.calls.flat();
  }
}

export interface MessagesHarness extends ApiHarness {
  service: MessageService;
  sink: RecordingSink;
  /** Creates an account (admin API) and an API key for it. */
  customer(account?: { default_from?: string; max_tps?: number }): Promise<Customer>;
}

export interface Customer {
  accountId: string;
  key: string;
  /** A request with this customer's API key. */
  call(method: string, path: string, options?: Omit<CallOptions, "token">): Promise<Response>;
}

export const INSTANCE_ID = "test-instance";
export const LEASE_SECONDS = 30;

/**
 * The real app and database (see harness.ts) with a MessageService wired as main wires it: this
 * instance's dispatcher is a RecordingSink.
 */
export async function startMessagesApi(
  options: Partial<Omit<MessageServiceOptions, "db" | "dispatch">> = {},
): Promise<MessagesHarness> {
  const api = await startApi();
  const sink = new RecordingSink();
  const service = new MessageService({
    db: api.database.db,
    dispatch: { sink, instanceId: INSTANCE_ID, leaseSeconds: LEASE_SECONDS },
    ...options,
  });
  provideMessageService(api.database.db, service);

  const customer = async (account: { default_from?: string; max_tps?: number } = {}): Promise<Customer> => {
    const created = await api.call("POST", "/admin/accounts", { json: { name: "Acme", ...account } });
    if (created.status !== 201) throw new Error(`account: ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const keyResponse = await api.call("POST", `/admin/accounts/${id}/api-keys`, { json: {} });
    if (keyResponse.status !== 201) throw new Error(`api key: ${keyResponse.status}`);
    const { key } = (await keyResponse.json()) as { key: string };
    return {
      accountId: id,
      key,
      call: (method, path, callOptions = {}) => api.call(method, path, { ...callOptions, token: key }),
    };
  };

  return {
    ...api,
    service,
    sink,
    customer,
    close: async () => {
      await service.close();
      await api.close();
    },
  };
}
