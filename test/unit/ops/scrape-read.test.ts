import { describe, expect, it } from "vitest";
import { scrapeRead } from "../../../src/ops/scrape-read.js";

/** A read whose answers the test hands out one by one. */
function controlledRead() {
  const pending: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  return {
    calls: () => pending.length,
    read: () =>
      new Promise<number>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
    resolve: (i: number, n: number) => pending[i]?.resolve(n),
    reject: (i: number) => pending[i]?.reject(new Error("database down")),
  };
}

describe("scrapeRead", () => {
  it("reuses a value for ttlMs, then reads again", async () => {
    let clock = 0;
    let reads = 0;
    const get = scrapeRead(async () => ++reads, { ttlMs: 1000, waitMs: 1000, now: () => clock });
    expect(await get()).toBe(1);
    clock = 999;
    expect(await get()).toBe(1);
    clock = 2000;
    expect(await get()).toBe(2);
  });

  it("serves the last value when a read fails, and tries again at the next scrape", async () => {
    const r = controlledRead();
    const errors: unknown[] = [];
    const get = scrapeRead(r.read, { ttlMs: 0, waitMs: 1000, onError: (e) => errors.push(e) });
    const first = get();
    r.resolve(0, 5);
    expect(await first).toBe(5);
    const second = get();
    r.reject(1);
    expect(await second).toBe(5);
    expect(errors).toHaveLength(1);
    const third = get();
    expect(r.calls()).toBe(3);
    r.resolve(2, 6);
    expect(await third).toBe(6);
  });

  it("is undefined before any read succeeded, so the gauge is left out rather than shown as 0", async () => {
    const get = scrapeRead(() => Promise.reject(new Error("down")), { ttlMs: 0, waitMs: 1000 });
    expect(await get()).toBeUndefined();
  });

  it("does not wait for a hung read past waitMs, and starts no second read while it hangs", async () => {
    const r = controlledRead();
    const get = scrapeRead(r.read, { ttlMs: 0, waitMs: 5 });
    expect(await get()).toBeUndefined();
    expect(await get()).toBeUndefined();
    expect(r.calls()).toBe(1);
    r.resolve(0, 8);
    await new Promise((resolve) => setImmediate(resolve));
    // The next read hangs too: the value the late one brought is served.
    expect(await get()).toBe(8);
    expect(r.calls()).toBe(2);
  });
});
