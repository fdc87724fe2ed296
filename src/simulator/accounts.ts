import type { BindRequest } from "../smpp/net/server-session.js";
import { CommandStatus } from "../smpp/status.js";
import type { SimulatorAccount } from "./options.js";

/**
 * Decides a bind: the account must exist (ESME_RINVSYSID), the password match (ESME_RINVPASWD), and
 * the account be enabled (ESME_RBINDFAIL), the interface version be 3.3 or later (ESME_RBINDFAIL) and
 * the system_id have fewer than its limit of binds (ESME_RALYBND). With no accounts configured, any
 * system_id and password pass; the bind limit still applies per system_id.
 */
export function authorizeBind(
  request: BindRequest,
  accounts: readonly SimulatorAccount[],
  currentBinds: number,
  defaultMaxBinds: number,
): number {
  let maxBinds = defaultMaxBinds;
  if (accounts.length > 0) {
    const account = accounts.find((a) => a.systemId === request.system_id);
    if (account === undefined) return CommandStatus.ESME_RINVSYSID;
    if (account.password !== request.password) return CommandStatus.ESME_RINVPASWD;
    if (account.disabled === true) return CommandStatus.ESME_RBINDFAIL;
    maxBinds = account.maxBinds ?? defaultMaxBinds;
  }
  if (request.interface_version > 0 && request.interface_version < 0x33) {
    // Older than 3.3: nothing here speaks it.
    return CommandStatus.ESME_RBINDFAIL;
  }
  if (currentBinds >= maxBinds) return CommandStatus.ESME_RALYBND;
  return CommandStatus.ESME_ROK;
}
