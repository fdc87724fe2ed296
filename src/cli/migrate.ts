/**
 * `smpp-bridge migrate`: applies pending migrations to the configured database and exits. Needs only
 * DATABASE_URL (or DATA_DIR for the embedded PGlite); no admin token, no secret key.
 */
import { ConfigError } from "../config.js";
import { migrateConfiguredDatabase } from "../db/migrate.js";

export const MIGRATE_HELP = `Usage: smpp-bridge migrate

Applies the database migrations that have not run yet, then exits (the service also applies them at
start). Several instances may run it at once: they wait for one another.

  DATABASE_URL    PostgreSQL URL; unset: embedded PGlite in DATA_DIR
  DATA_DIR        data directory (default ./data)

Options:
  -h, --help      show this help
`;

/** Runs `migrate`; resolves with the exit status: 0 done, 1 failed, 2 bad command line. */
export async function runMigrateCommand(args: readonly string[]): Promise<number> {
  for (const arg of args) {
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(MIGRATE_HELP);
      return 0;
    }
    process.stderr.write(
      `smpp-bridge migrate: unknown option "${arg}"\nRun 'smpp-bridge migrate --help' for the options.\n`,
    );
    return 2;
  }
  try {
    const { kind } = await migrateConfiguredDatabase();
    process.stdout.write(`migrations applied (${kind === "postgres" ? "PostgreSQL" : "embedded PGlite"})\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`smpp-bridge migrate: ${describe(error)}\n`);
    return 1;
  }
}

/**
 * The error and its causes, outermost first. A failed query wraps what went wrong (the database
 * refused the connection, does not exist, wants another password) in a `cause`; its own message only
 * names the query.
 */
function describe(error: unknown): string {
  const messages: string[] = [];
  let current = error;
  while (current !== undefined && current !== null && messages.length < 5) {
    messages.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error && !(current instanceof ConfigError) ? current.cause : undefined;
  }
  return messages.join(": ");
}
