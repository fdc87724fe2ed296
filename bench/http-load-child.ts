/**
 * HTTP load generator for the accept benchmarks, run as its own process so it does not share an event
 * loop with the server it measures. Sends `count` POSTs of a send body at `concurrency` requests in
 * flight over keep-alive connections, and prints one JSON line: accepted (202) per second, latency
 * percentiles of the 202s in ms, and the count of every other status.
 *
 * Usage: node --import tsx bench/http-load-child.ts <url> <bearer token> <count> <concurrency>
 */
import { Agent, request } from "node:http";

const [url, token, countText, concurrencyText] = process.argv.slice(2);
if (url === undefined || token === undefined) throw new Error("usage: <url> <token> <count> <concurrency>");
const count = Number(countText ?? 1000);
const concurrency = Number(concurrencyText ?? 50);
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

/** A plausible one-segment OTP body with a different number each time. */
function body(i: number): string {
  const to = `+4477${String(10_000_000 + (i % 90_000_000)).padStart(8, "0")}`;
  return JSON.stringify({
    to,
    text: `Your verification code is ${100_000 + (i % 900_000)}.`,
    client_reference: `b${i}`,
  });
}

function post(i: number): Promise<number> {
  const payload = body(i);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const latencies: number[] = [];
const others: Record<string, number> = {};
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const status = await post(i).catch(() => 0);
      const ms = performance.now() - t0;
      if (status === 202) latencies.push(ms);
      else others[status] = (others[status] ?? 0) + 1;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0;
console.log(
  JSON.stringify({
    accepted: latencies.length,
    seconds,
    accepted_per_s: latencies.length / seconds,
    p50_ms: pct(50),
    p99_ms: pct(99),
    max_ms: latencies[latencies.length - 1] ?? 0,
    others,
  }),
);
