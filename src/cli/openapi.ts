import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildOpenApiDocument, renderOpenApiDocument } from "../api/openapi.js";

/** Where `npm run openapi` writes the document, relative to the repository root. */
export const DEFAULT_OPENAPI_PATH = "openapi/openapi.json";

const USAGE = `Usage: smpp-bridge openapi [--out <file>]

Writes the OpenAPI 3.1 document generated from the routes (default: ${DEFAULT_OPENAPI_PATH};
"-" writes to stdout). The output is deterministic: CI regenerates it and fails on any difference.
`;

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

/** The `openapi` command: parses its arguments, returns the exit code. */
export async function runOpenApiCommand(args: readonly string[]): Promise<number> {
  let out = DEFAULT_OPENAPI_PATH;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === "--out" && args[i + 1] !== undefined) {
      out = args[++i] ?? out;
      continue;
    }
    if (arg?.startsWith("--out=")) {
      out = arg.slice("--out=".length);
      continue;
    }
    process.stderr.write(`unknown argument: ${arg}\n\n${USAGE}`);
    return 2;
  }
  await writeOpenApi(out);
  return 0;
}

// Run as a script (`npm run openapi`); imported by the main CLI, it only exports.
const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = await runOpenApiCommand(process.argv.slice(2));
}
