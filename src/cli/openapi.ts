import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildOpenApiDocument, renderOpenApiDocument } from "../api/openapi.js";

/** Where `npm run openapi` writes the document, relative to the repository root. */
export const DEFAULT_OPENAPI_PATH = "openapi/openapi.json";

function usage(defaultOut: string): string {
  const where = defaultOut === "-" ? "stdout" : defaultOut;
  return `Usage: smpp-bridge openapi [--out <file>]

Prints the OpenAPI 3.1 document generated from the routes (default: ${where}). The output is
deterministic: CI regenerates ${DEFAULT_OPENAPI_PATH} and fails on any difference.

Options:
  --out <file>    write the document to <file> ("-": stdout); folders are created
  -h, --help      show this help
`;
}

/** Writes the generated document to `out` (a path, or "-" for stdout). */
export async function writeOpenApi(out: string): Promise<void> {
  const text = renderOpenApiDocument(buildOpenApiDocument());
  if (out === "-") {
    process.stdout.write(text);
    return;
  }
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(out, text, "utf8");
}

export interface OpenApiCommandOptions {
  /** Where the document goes without `--out`: "-" (stdout, the CLI) or a path (`npm run openapi`). Default "-". */
  defaultOut?: string;
}

/** The `openapi` command: parses its arguments, returns the exit code (2 for a bad command line). */
export async function runOpenApiCommand(
  args: readonly string[],
  options: OpenApiCommandOptions = {},
): Promise<number> {
  const defaultOut = options.defaultOut ?? "-";
  let out = defaultOut;
  const fail = (message: string): number => {
    process.stderr.write(
      `smpp-bridge openapi: ${message}\nRun 'smpp-bridge openapi --help' for the options.\n`,
    );
    return 2;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(usage(defaultOut));
      return 0;
    }
    if (arg === "--out") {
      const value = args[i + 1];
      if (value === undefined || value === "") return fail("--out needs a file name");
      out = value;
      i++;
      continue;
    }
    if (arg.startsWith("--out=")) {
      out = arg.slice("--out=".length);
      if (out === "") return fail("--out needs a file name");
      continue;
    }
    return fail(arg.startsWith("-") ? `unknown option "${arg}"` : `unexpected argument "${arg}"`);
  }
  try {
    await writeOpenApi(out);
  } catch (error) {
    process.stderr.write(
      `smpp-bridge openapi: cannot write ${out}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  if (out !== "-") process.stderr.write(`OpenAPI document written to ${out}\n`);
  return 0;
}

// Run as a script (`npm run openapi`, .ci/drift): writes the committed file unless --out says otherwise.
const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = await runOpenApiCommand(process.argv.slice(2), { defaultOut: DEFAULT_OPENAPI_PATH });
}
