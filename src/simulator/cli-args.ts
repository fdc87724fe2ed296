import { parseArgs } from "node:util";
import { z } from "zod";
import type { SimulatorOptions } from "./options.js";
import { parseOutcomeMix } from "./outcomes.js";

/** A bad command line: the CLI prints the message and exits with status 2. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

/** An inbound SMS to inject from the command line (`--mo from:to:text`). */
export interface CliMo {
  from: string;
  to: string;
  text: string;
}

export type SimulatorCommand =
  | { kind: "help" }
  | {
      kind: "run";
      options: SimulatorOptions;
      /** Inbound SMS injected at start; they wait in the inbox until a receiver binds. */
      mo: CliMo[];
      /** PEM files for SMPPS; both or neither. */
      tlsFiles?: { key: string; cert: string };
    };

export const SIMULATOR_HELP = `Usage: smpp-bridge simulator --port <n> [options]

An SMSC simulator: an SMPP v3.4 server that answers submits, sends delivery receipts and
inbound SMS, and can inject faults.

Options:
  --port <n>                  TCP port to listen on; 0 picks a free one (default 2775)
  --host <addr>               address to listen on (default 127.0.0.1)
  --system-id <id>            accept only this system_id (with --password); without both,
  --password <pw>               any bind is accepted
  --max-binds <n>             simultaneous binds per system_id (default 10)
  --dlr-delay-ms <ms>         delay before a delivery receipt (default 100)
  --dlr-jitter-ms <ms>        extra random receipt delay, reorders receipts (default 0)
  --outcomes <mix>            receipt outcome weights, e.g. DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2
                              (default DELIVRD=1)
  --delivery-window <n>       deliver_sm outstanding per bind (default 1000)
  --message-id-format <f>     hex | decimal (default hex)
  --receipt-id-format <f>     same | other: receipt ids in the submit format or the other one (default same)
  --throttle-rate <n>         answer ESME_RTHROTTLED above n submits per second (default off)
  --throttle-fraction <f>     answer ESME_RTHROTTLED to this fraction (0..1) of submits (default 0)
  --response-delay-ms <ms>    delay every response (default 0)
  --no-response-fraction <f>  leave this fraction (0..1) of submits unanswered (default 0)
  --submit-error-fraction <f> answer this fraction (0..1) of submits with --submit-error-status (default 0)
  --submit-error-status <n>   command_status for those, decimal or 0x hex (default 0x45 ESME_RSUBMITFAIL)
  --drop-after-pdus <n>       cut each connection at its n-th PDU, unanswered (default off)
  --refuse-binds <n>          refuse every bind with this command_status, e.g. 0x0D (default off)
  --garbage-fraction <f>      answer this fraction (0..1) of requests with bytes that are no PDU (default 0)
  --mo <from>:<to>:<text>     inbound SMS to deliver once a receiver binds (repeatable)
  --control-port <n>          HTTP control on this port: POST /mo, GET /stats, GET|PUT /faults (default off)
  --record-submits <n>        keep the latest n submits for GET /submits and query_sm (default 0: lean)
  --tls-key <file>            PEM key: listen with TLS (SMPPS), together with --tls-cert
  --tls-cert <file>           PEM certificate
  --help                      show this help
`;

const port = z.coerce.number().int().min(0).max(65535);
const nonNegativeInt = z.coerce.number().int().min(0);
const fraction = z.coerce.number().min(0).max(1);
/** A command_status given in decimal or as 0x hex. */
const commandStatus = z
  .string()
  .regex(/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/, "expected a command_status, decimal or 0x hex")
  .transform(Number)
  .pipe(z.number().int().min(0).max(0xffffffff));

const argsSchema = z
  .object({
    port: port.default(2775),
    host: z.string().min(1).default("127.0.0.1"),
    "system-id": z.string().min(1).max(15).optional(),
    password: z.string().max(8).optional(),
    "max-binds": z.coerce.number().int().min(1).optional(),
    "dlr-delay-ms": nonNegativeInt.optional(),
    "dlr-jitter-ms": nonNegativeInt.optional(),
    outcomes: z.string().optional(),
    "delivery-window": z.coerce.number().int().min(1).optional(),
    "message-id-format": z.enum(["hex", "decimal"]).optional(),
    "receipt-id-format": z.enum(["same", "other"]).optional(),
    "throttle-rate": z.coerce.number().min(0).optional(),
    "throttle-fraction": fraction.optional(),
    "response-delay-ms": nonNegativeInt.optional(),
    "no-response-fraction": fraction.optional(),
    "submit-error-fraction": fraction.optional(),
    "submit-error-status": commandStatus.optional(),
    "drop-after-pdus": nonNegativeInt.optional(),
    "refuse-binds": commandStatus.optional(),
    "garbage-fraction": fraction.optional(),
    mo: z.array(z.string()).default([]),
    "control-port": port.optional(),
    "record-submits": nonNegativeInt.default(0),
    "tls-key": z.string().min(1).optional(),
    "tls-cert": z.string().min(1).optional(),
  })
  .refine((a) => (a["system-id"] === undefined) === (a.password === undefined), {
    message: "--system-id and --password go together",
  })
  .refine((a) => (a["tls-key"] === undefined) === (a["tls-cert"] === undefined), {
    message: "--tls-key and --tls-cert go together",
  });

function parseMo(spec: string): CliMo {
  const first = spec.indexOf(":");
  const second = first < 0 ? -1 : spec.indexOf(":", first + 1);
  if (first <= 0 || second <= first + 1) {
    throw new CliUsageError(`--mo wants <from>:<to>:<text>, got "${spec}"`);
  }
  return { from: spec.slice(0, first), to: spec.slice(first + 1, second), text: spec.slice(second + 1) };
}

/** Parses the arguments after `simulator`. Throws {@link CliUsageError} on anything it does not understand. */
export function parseSimulatorArgs(argv: readonly string[]): SimulatorCommand {
  let values: Record<string, unknown>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        port: { type: "string" },
        host: { type: "string" },
        "system-id": { type: "string" },
        password: { type: "string" },
        "max-binds": { type: "string" },
        "dlr-delay-ms": { type: "string" },
        "dlr-jitter-ms": { type: "string" },
        outcomes: { type: "string" },
        "delivery-window": { type: "string" },
        "message-id-format": { type: "string" },
        "receipt-id-format": { type: "string" },
        "throttle-rate": { type: "string" },
        "throttle-fraction": { type: "string" },
        "response-delay-ms": { type: "string" },
        "no-response-fraction": { type: "string" },
        "submit-error-fraction": { type: "string" },
        "submit-error-status": { type: "string" },
        "drop-after-pdus": { type: "string" },
        "refuse-binds": { type: "string" },
        "garbage-fraction": { type: "string" },
        mo: { type: "string", multiple: true },
        "control-port": { type: "string" },
        "record-submits": { type: "string" },
        "tls-key": { type: "string" },
        "tls-cert": { type: "string" },
      },
    });
    values = parsed.values;
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return { kind: "help" };

  const result = argsSchema.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `--${issue.path.join(".")}: ` : "";
    throw new CliUsageError(`${where}${issue?.message ?? "invalid arguments"}`);
  }
  const a = result.data;

  let outcomes: SimulatorOptions["outcomes"];
  if (a.outcomes !== undefined) {
    try {
      outcomes = parseOutcomeMix(a.outcomes);
      if (!Object.values(outcomes).some((w) => w > 0))
        throw new RangeError("at least one weight must be > 0");
    } catch (error) {
      throw new CliUsageError(`--outcomes: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const options: SimulatorOptions = {
    host: a.host,
    port: a.port,
    accounts:
      a["system-id"] !== undefined && a.password !== undefined
        ? [{ systemId: a["system-id"], password: a.password }]
        : [],
    maxBindsPerSystemId: a["max-binds"],
    dlrDelayMs: a["dlr-delay-ms"],
    dlrJitterMs: a["dlr-jitter-ms"],
    outcomes,
    deliveryWindow: a["delivery-window"],
    messageIdFormat: a["message-id-format"],
    receiptIdFormat: a["receipt-id-format"],
    faults: {
      throttleRate: a["throttle-rate"] ?? 0,
      throttleFraction: a["throttle-fraction"] ?? 0,
      responseDelayMs: a["response-delay-ms"] ?? 0,
      noResponseFraction: a["no-response-fraction"] ?? 0,
      submitErrorFraction: a["submit-error-fraction"] ?? 0,
      ...(a["submit-error-status"] === undefined ? {} : { submitErrorStatus: a["submit-error-status"] }),
      dropAfterPdus: a["drop-after-pdus"] ?? 0,
      refuseBindsStatus: a["refuse-binds"] ?? 0,
      garbageFraction: a["garbage-fraction"] ?? 0,
    },
    recordSubmits: a["record-submits"],
    control: a["control-port"] === undefined ? undefined : { port: a["control-port"], host: a.host },
  };
  const tlsFiles =
    a["tls-key"] !== undefined && a["tls-cert"] !== undefined
      ? { key: a["tls-key"], cert: a["tls-cert"] }
      : undefined;
  return { kind: "run", options, mo: a.mo.map(parseMo), tlsFiles };
}
