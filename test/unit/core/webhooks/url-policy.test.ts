import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  checkWebhookUrl,
  guardedLookup,
  type ResolveAll,
  UnsafeWebhookUrlError,
} from "../../../../src/core/webhooks/url-policy.js";

/** A DNS that answers every name with `addresses` (no network). */
const answering =
  (...addresses: string[]): ResolveAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

/** What guardedLookup hands to net.connect for `host`. */
function lookUp(resolveAll: ResolveAll, all: boolean) {
  return new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>(
    (resolve) => {
      guardedLookup(resolveAll)("hooks.example.com", { all }, (error, address) =>
        resolve({ error, address }),
      );
    },
  );
}

describe("checkWebhookUrl (endpoint creation and change)", () => {
  it("accepts a name whose every address is public", async () => {
    const url = await checkWebhookUrl("https://hooks.example.com/in", {
      resolveAll: answering("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    });
    expect(url.href).toBe("https://hooks.example.com/in");
  });

  it.each([
    [["10.0.0.7"]],
    [["93.184.215.14", "10.0.0.7"]],
    [["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::1"]],
  ])("refuses a name with a forbidden address among %j", async (addresses) => {
    await expect(
      checkWebhookUrl("https://hooks.example.com/in", { resolveAll: answering(...addresses) }),
    ).rejects.toThrow(UnsafeWebhookUrlError);
  });

  it("lets WEBHOOK_ALLOW_PRIVATE through", async () => {
    const url = await checkWebhookUrl("http://hooks.example.com/in", {
      allowPrivate: true,
      resolveAll: answering("127.0.0.1"),
    });
    expect(url.hostname).toBe("hooks.example.com");
  });
});

describe("guardedLookup (every connection of the worker)", () => {
  it.each([false, true])(
    "refuses the connection when any address is forbidden, even after a public one (all: %s)",
    async (all) => {
      const { error } = await lookUp(answering("93.184.215.14", "169.254.169.254"), all);
      expect(error?.code).toBe("EWEBHOOKBLOCKED");
      expect(error?.message).toMatch(/169\.254\.169\.254/);
    },
  );

  it("connects to the addresses it checked", async () => {
    expect(await lookUp(answering("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"), false)).toEqual(
      {
        error: null,
        address: "93.184.215.14",
      },
    );
    const { address } = await lookUp(answering("93.184.215.14"), true);
    expect(address).toEqual([{ address: "93.184.215.14", family: 4 }]);
  });
});
