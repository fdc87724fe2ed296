import { describe, expect, test } from "vitest";
import { authorizeBind } from "../../../src/simulator/accounts.js";
import { MessageStates, STATE_ENROUTE } from "../../../src/simulator/message-states.js";
import type { BindRequest } from "../../../src/smpp/net/server-session.js";
import { CommandStatus } from "../../../src/smpp/status.js";

function bind(system_id: string, password: string, interface_version = 0x34): BindRequest {
  return {
    mode: "transceiver",
    system_id,
    password,
    system_type: "",
    interface_version,
    addr_ton: 0,
    addr_npi: 0,
    address_range: "",
  };
}

describe("authorizeBind", () => {
  const accounts = [
    { systemId: "acme", password: "secret", maxBinds: 2 },
    { systemId: "old", password: "pw", disabled: true },
  ];

  test("checks system_id, then password, then the account, then the bind count", () => {
    expect(authorizeBind(bind("nobody", "secret"), accounts, 0, 10)).toBe(CommandStatus.ESME_RINVSYSID);
    expect(authorizeBind(bind("acme", "wrong"), accounts, 0, 10)).toBe(CommandStatus.ESME_RINVPASWD);
    expect(authorizeBind(bind("old", "pw"), accounts, 0, 10)).toBe(CommandStatus.ESME_RBINDFAIL);
    expect(authorizeBind(bind("acme", "secret"), accounts, 1, 10)).toBe(CommandStatus.ESME_ROK);
    expect(authorizeBind(bind("acme", "secret"), accounts, 2, 10)).toBe(CommandStatus.ESME_RALYBND);
  });

  test("no accounts: anything binds, up to the default limit", () => {
    expect(authorizeBind(bind("x", "y"), [], 0, 1)).toBe(CommandStatus.ESME_ROK);
    expect(authorizeBind(bind("x", "y"), [], 1, 1)).toBe(CommandStatus.ESME_RALYBND);
  });

  test("an interface version before 3.3 is refused", () => {
    expect(authorizeBind(bind("x", "y", 0x10), [], 0, 1)).toBe(CommandStatus.ESME_RBINDFAIL);
    expect(authorizeBind(bind("x", "y", 0x33), [], 0, 1)).toBe(CommandStatus.ESME_ROK);
  });
});

describe("MessageStates", () => {
  test("en route until done, then the outcome's state and error", () => {
    const states = new MessageStates(10);
    states.set(1, "UNDELIV", 1000);
    expect(states.get(1, 999)).toEqual({ state: STATE_ENROUTE, finalAt: undefined, errorCode: 0 });
    expect(states.get(1, 1000)).toEqual({ state: 5, finalAt: 1000, errorCode: 1 });
    expect(states.get(2, 1000)).toBeUndefined();
  });

  test("forgets the oldest beyond capacity; capacity 0 keeps nothing", () => {
    const states = new MessageStates(2);
    states.set(1, "DELIVRD", 0);
    states.set(2, "DELIVRD", 0);
    states.set(3, "DELIVRD", 0);
    expect(states.get(1, 0)).toBeUndefined();
    expect(states.get(3, 0)?.state).toBe(2);
    const none = new MessageStates(0);
    none.set(1, "DELIVRD", 0);
    expect(none.get(1, 0)).toBeUndefined();
  });
});
