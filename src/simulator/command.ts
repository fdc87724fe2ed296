import { readFileSync } from "node:fs";
import { pino } from "pino";
import { CliUsageError, parseSimulatorArgs, SIMULATOR_HELP } from "./cli-args.js";
import { Simulator } from "./simulator.js";

/** Streams the command writes to, so tests can capture them. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * `smpp-bridge simulator …`: starts the simulator and runs until SIGINT/SIGTERM.
 * Resolves with the exit code: 0 after `--help` or a clean stop, 2 for a bad command line, 1 when it
 * cannot start (port taken, unreadable TLS files).
 */
export async function runSimulatorCommand(
  argv: readonly string[],
  io: CommandIo = processIo,
): Promise<number> {
  let command: ReturnType<typeof parseSimulatorArgs>;
  try {
    command = parseSimulatorArgs(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(
        `smpp-bridge simulator: ${err.message}\nRun 'smpp-bridge simulator --help' for the options.\n`,
      );
      return 2;
    }
    throw err;
  }
  if (command.kind === "help") {
    io.stdout(SIMULATOR_HELP);
    return 0;
  }

  const logger = pino({ name: "smsc-simulator" });
  let simulator: Simulator;
  try {
    const tls = command.tlsFiles
      ? { key: readFileSync(command.tlsFiles.key), cert: readFileSync(command.tlsFiles.cert) }
      : undefined;
    simulator = await Simulator.start({ ...command.options, tls, logger });
  } catch (err) {
    io.stderr(`smpp-bridge simulator: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  for (const mo of command.mo) simulator.injectMo(mo);

  const scheme = command.tlsFiles ? "smpps" : "smpp";
  const control =
    simulator.controlPort === undefined ? "" : ` control http://${simulator.host}:${simulator.controlPort}`;
  io.stdout(`SMSC simulator listening on ${scheme}://${simulator.host}:${simulator.port}${control}\n`);

  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      simulator.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
