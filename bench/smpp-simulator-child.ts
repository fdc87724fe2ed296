/**
 * The SMSC simulator as a child process of `bench/smpp.bench.ts`, so the simulator and the client under
 * test do not share an event loop or a core. Prints one JSON line `{"port":<n>}` once listening and
 * exits when its stdin closes (the parent went away) or on SIGTERM.
 */
import { Simulator } from "../src/simulator/simulator.js";

const simulator = await Simulator.start({ host: "127.0.0.1", port: 0, recordSubmits: 0 });
process.stdout.write(`${JSON.stringify({ port: simulator.port })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void simulator.close().then(() => process.exit(0));
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
