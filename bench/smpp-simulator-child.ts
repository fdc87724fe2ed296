/**
 * The SMSC simulator as a child process of `bench/smpp.bench.ts`, so the simulator and the client under
 * test do not share an event loop or a core. Prints one JSON line `{"port":<n>}` once listening, answers
 * each `cpu` line on stdin with `{"cpu_us":<n>}` (its CPU time so far, user + system), and exits when
 * its stdin closes (the parent went away) or on SIGTERM.
 */
import { createInterface } from "node:readline";
import { Simulator } from "../src/simulator/simulator.js";

const simulator = await Simulator.start({ host: "127.0.0.1", port: 0, recordSubmits: 0 });
process.stdout.write(`${JSON.stringify({ port: simulator.port })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void simulator.close().then(() => process.exit(0));
};
const commands = createInterface({ input: process.stdin });
commands.on("line", (line) => {
  if (line.trim() !== "cpu") return;
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpu_us: user + system })}\n`);
});
commands.on("close", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
