/**
 * A response already waiting in the socket when an overdue sweep runs still wins: the loop was held
 * up past the deadline (here by a busy wait), not the SMSC. Real timers and a real socket on
 * 127.0.0.1, because the point is the order of the event loop's phases.
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { Window } from "../../../../src/smpp/net/window.js";

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // the event loop is held up, as by a long GC or a busy process
  }
}

test("a response read in the same turn as an overdue sweep settles the request, not the timeout", async () => {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection") as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  await once(client, "connect");
  const [peer] = await accepted;
  closers.push(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });

  const window = new Window<string>({ size: 1, sweepIntervalMs: 5, now: () => Date.now() });
  const request = window.track(1, "submit_sm", 50, false);
  client.on("data", () => window.resolve(1, "submit_sm_resp"));
  // Held up in the check phase: the next turn runs its timers (the sweep, long overdue) before it
  // reads the socket, where the response has been waiting.
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      peer.write("x");
      busyWait(150);
      resolve();
    }),
  );
  await expect(request).resolves.toBe("submit_sm_resp");
});
