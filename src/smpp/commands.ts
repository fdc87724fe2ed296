/**
 * SMPP v3.4 command ids (§5.1.2.1). A response id is its request id with bit 31 set.
 */
export const CommandId = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const;

export type CommandName = keyof typeof CommandId;

/** Each request that is answered, with the name of its response. outbind and alert_notification get none. */
export const ResponseOf = {
  bind_receiver: "bind_receiver_resp",
  bind_transmitter: "bind_transmitter_resp",
  bind_transceiver: "bind_transceiver_resp",
  query_sm: "query_sm_resp",
  submit_sm: "submit_sm_resp",
  deliver_sm: "deliver_sm_resp",
  unbind: "unbind_resp",
  replace_sm: "replace_sm_resp",
  cancel_sm: "cancel_sm_resp",
  enquire_link: "enquire_link_resp",
  submit_multi: "submit_multi_resp",
  data_sm: "data_sm_resp",
} as const satisfies Partial<Record<CommandName, CommandName>>;

/** A request that expects a response PDU. */
export type RequestName = keyof typeof ResponseOf;
/** The response name of request `K` (e.g. `"submit_sm_resp"` for `"submit_sm"`). */
export type ResponseNameOf<K extends RequestName> = (typeof ResponseOf)[K];
/** Names whose command_id has bit 31 set (generic_nack and every *_resp). */
export type ResponseName = (typeof ResponseOf)[RequestName] | "generic_nack";

const nameById = new Map<number, CommandName>(
  (Object.keys(CommandId) as CommandName[]).map((name) => [CommandId[name], name]),
);

/** The command name for a wire command_id, or undefined for ids that v3.4 does not define. */
export function commandName(id: number): CommandName | undefined {
  return nameById.get(id);
}

/** True when bit 31 of the command_id is set: the PDU answers a request. */
export function isResponseId(id: number): boolean {
  return id >>> 31 === 1;
}

/** The response command for a request; undefined for outbind, alert_notification, generic_nack and responses. */
export function responseNameOf<K extends RequestName>(name: K): ResponseNameOf<K>;
export function responseNameOf(name: CommandName): CommandName | undefined;
export function responseNameOf(name: CommandName): CommandName | undefined {
  return Object.hasOwn(ResponseOf, name) ? ResponseOf[name as RequestName] : undefined;
}
