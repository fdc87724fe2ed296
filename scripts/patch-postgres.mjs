#!/usr/bin/env node
/**
 * Fixes a postgres-js 3.4.9 bug that ends the service when PostgreSQL restarts (found by
 * test/integration/service/postgres-restart.test.ts; upstream porsager/postgres#1154 and #1208, not
 * released). Run by `postinstall`, so every `npm ci` (CI, the Docker image) gets it; idempotent.
 *
 * The driver sends small writes from a setImmediate. When a connection dies inside `sql.begin`, the
 * failed query makes the transaction send ROLLBACK on that same connection, whose socket is already
 * null: the deferred write throws a TypeError no caller can catch and the process exits. Also, a close
 * clears the pending setImmediate but not its handle, so every later write on the connection waits for
 * a flush that never comes (its next connect hangs until connect_timeout).
 *
 * The patch: a write with no socket fails the queries it carried (CONNECTION_CLOSED, as a close does)
 * instead of throwing, and a close or terminate forgets what was queued for the dead socket.
 * Fails loudly when the driver's source is not what it expects (another version: check whether the
 * bug is fixed there, then update or drop this script).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const MARKER = "smpp-bridge patch";
const require = createRequire(import.meta.url);
let root;
try {
  // The package's exports hide package.json: resolve its CommonJS entry (cjs/src/index.js), go up.
  root = dirname(dirname(dirname(require.resolve("postgres"))));
} catch {
  // postgres not installed (yet): nothing to patch.
  process.exit(0);
}

const edits = [
  {
    what: "nextWrite guard",
    from: "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)\n",
    to:
      "  function nextWrite(fn) {\n" +
      `    if (!socket) return closedWrite() // ${MARKER}\n` +
      "    const x = socket.write(chunk, fn)\n",
    count: 1,
  },
  {
    what: "closedWrite",
    from: "  function connectTimedOut() {\n",
    to:
      `  // ${MARKER}: a write queued after the socket closed (sql.begin's ROLLBACK after its connection\n` +
      "  // died) fails its queries as a close does, instead of throwing from a setImmediate.\n" +
      "  function closedWrite() {\n" +
      "    nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n" +
      "    chunk = nextWriteTimer = null\n" +
      "    const err = Errors.connection('CONNECTION_CLOSED', options)\n" +
      "    query && (queryError(query, err), query = null)\n" +
      "    while (sent.length)\n" +
      "      queryError(sent.shift(), err)\n" +
      "    return true\n" +
      "  }\n\n" +
      "  function connectTimedOut() {\n",
    count: 1,
  },
  {
    what: "forget queued writes on close and terminate",
    from: "\n    clearImmediate(nextWriteTimer)\n",
    to: `\n    clearImmediate(nextWriteTimer), chunk = nextWriteTimer = null // ${MARKER}\n`,
    count: 2,
  },
];

let failed = false;
for (const variant of ["src", "cjs/src", "cf/src"]) {
  const file = join(root, variant, "connection.js");
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  if (text.includes(MARKER)) continue;
  for (const edit of edits) {
    const found = text.split(edit.from).length - 1;
    if (found !== edit.count) {
      console.error(`patch-postgres: ${file}: expected ${edit.count} × ${edit.what}, found ${found}`);
      failed = true;
      break;
    }
    text = text.replaceAll(edit.from, edit.to);
  }
  if (!failed) writeFileSync(file, text);
}
if (failed) {
  console.error("patch-postgres: postgres-js is not the version this patch was written for (3.4.9)");
  process.exit(1);
}
