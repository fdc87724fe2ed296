import { and, desc, eq, getTableColumns, isNull, lt, sql } from "drizzle-orm";
import type { Database, Executor } from "../db/client.js";
import { routes, upstreams } from "../db/schema.js";
import { decryptSecret, encryptSecret, SecretDecryptError } from "./crypto.js";
import { newId } from "./ids.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import { ConflictError, NotFoundError, sqlState } from "./service-errors.js";
import type { UpstreamConfig, UpstreamRuntime } from "./upstream-runtime.js";

type UpstreamRow = typeof upstreams.$inferSelect;

/** An upstream as stored, minus its sealed password: nothing derived from it leaves this module. */
export type Upstream = Omit<UpstreamRow, "passwordEnc" | "deletedAt">;

/** Settings of a new upstream; absent optional ones take the column defaults. */
export type UpstreamInput = Omit<
  typeof upstreams.$inferInsert,
  "id" | "passwordEnc" | "pduLogEnabled" | "createdAt" | "updatedAt"
> & {
  /** The bind password in clear; stored sealed with AES-256-GCM under the secret key. */
  password: string;
};

export type UpstreamPatch = Partial<UpstreamInput>;

/** What the upstream service needs besides the database. */
export interface UpstreamDeps {
  db: Database;
  /** SECRET_KEY, 32 bytes. */
  secretKey: Uint8Array;
  runtime: UpstreamRuntime;
}

// The row id is bound into the ciphertext: a sealed password copied to another row does not open.
const passwordContext = (id: string) => `upstream.password:${id}`;

const { passwordEnc: _sealed, deletedAt: _deleted, ...visibleColumns } = getTableColumns(upstreams);

/** The upstream `id`, unless it was deleted (deleted rows stay for the names in history; see schema). */
const live = (id: string) => and(eq(upstreams.id, id), isNull(upstreams.deletedAt));

/** Stores a new upstream and starts its sessions. A taken name is a 409. */
export async function createUpstream(deps: UpstreamDeps, input: UpstreamInput): Promise<Upstream> {
  const id = newId("ups");
  const { password, ...settings } = input;
  let row: UpstreamRow | undefined;
  try {
    [row] = await deps.db
      .insert(upstreams)
      .values({ ...settings, id, passwordEnc: encryptSecret(password, deps.secretKey, passwordContext(id)) })
      .returning();
  } catch (error) {
    if (sqlState(error) === "23505") throw nameTaken(input.name);
    throw error;
  }
  if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
  await deps.runtime.apply(toConfig(row, deps.secretKey));
  return visible(row);
}

export async function getUpstream(db: Executor, id: string): Promise<Upstream> {
  const [row] = await db.select(visibleColumns).from(upstreams).where(live(id));
  if (row === undefined) throw new NotFoundError("Upstream", id);
  return row;
}

export async function listUpstreams(db: Database, page: PageRequest): Promise<Page<Upstream>> {
  const rows = await db
    .select(visibleColumns)
    .from(upstreams)
    .where(
      and(isNull(upstreams.deletedAt), page.before === undefined ? undefined : lt(upstreams.id, page.before)),
    )
    .orderBy(desc(upstreams.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

/** Changes the given fields and rebinds the live sessions with the result. */
export async function updateUpstream(
  deps: UpstreamDeps,
  id: string,
  patch: UpstreamPatch,
): Promise<Upstream> {
  const { password, ...settings } = patch;
  let row: UpstreamRow;
  let config: UpstreamConfig;
  try {
    // One transaction with the password check: a change the live sessions cannot take (the stored
    // password does not open under this SECRET_KEY) is not stored either.
    [row, config] = await deps.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(upstreams)
        .set({
          ...settings,
          ...(password !== undefined && {
            passwordEnc: encryptSecret(password, deps.secretKey, passwordContext(id)),
          }),
          updatedAt: sql`now()`,
        })
        .where(live(id))
        .returning();
      if (updated === undefined) throw new NotFoundError("Upstream", id);
      try {
        return [updated, toConfig(updated, deps.secretKey)] as const;
      } catch (error) {
        if (!(error instanceof SecretDecryptError)) throw error;
        throw new ConflictError(
          `${error.message} Send \`password\` to store it again under the current key.`,
        );
      }
    });
  } catch (error) {
    if (sqlState(error) === "23505" && patch.name !== undefined) throw nameTaken(patch.name);
    throw error;
  }
  await deps.runtime.apply(config);
  return visible(row);
}

/**
 * Deletes an upstream and stops its sessions; refused (409) while a route lists it. The row is only
 * marked deleted: message and inbound history keep the upstream id as plain text (no foreign key, so past
 * traffic never blocks a delete) and still show its name; everything else stops seeing it.
 */
export async function deleteUpstream(deps: UpstreamDeps, id: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    // Lock first: a route being created with this upstream (FOR SHARE) finishes before we look, or
    // waits for us and then finds the upstream gone.
    const [locked] = await tx.select({ id: upstreams.id }).from(upstreams).where(live(id)).for("update");
    if (locked === undefined) throw new NotFoundError("Upstream", id);
    const users = await tx
      .select({ id: routes.id, prefix: routes.prefix })
      .from(routes)
      .where(sql`${id} = ANY(${routes.upstreamIds})`)
      .orderBy(routes.id)
      .limit(5);
    if (users.length > 0) {
      const list = users.map((r) => `${r.id} (prefix "${r.prefix}")`).join(", ");
      throw new ConflictError(`Upstream ${id} is used by route ${list}; remove it from the routes first.`);
    }
    await tx
      .update(upstreams)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(upstreams.id, id));
  });
  await deps.runtime.remove(id);
}

/** Records the PDU trace switch (so it survives a restart) and flips it on the live sessions. */
export async function setUpstreamPduLog(deps: UpstreamDeps, id: string, enabled: boolean): Promise<void> {
  const [row] = await deps.db
    .update(upstreams)
    // updated_at too: the other instances re-read the rows whose updated_at moved (UpstreamSync), and
    // the switch does not rebind anything there (it is not a connection setting).
    .set({ pduLogEnabled: enabled, updatedAt: sql`now()` })
    .where(live(id))
    .returning({ id: upstreams.id });
  if (row === undefined) throw new NotFoundError("Upstream", id);
  deps.runtime.setPduLog(id, enabled);
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`An upstream named "${name}" already exists.`);
}

function visible(row: UpstreamRow): Upstream {
  const { passwordEnc: _omit, deletedAt: _deleted, ...rest } = row;
  return rest;
}

/** The bind password in clear; a row it cannot be opened from is named, with the likely cause. */
function openPassword(row: UpstreamRow, secretKey: Uint8Array): string {
  try {
    return decryptSecret(row.passwordEnc, secretKey, passwordContext(row.id));
  } catch (error) {
    if (!(error instanceof SecretDecryptError)) throw error;
    throw new SecretDecryptError(
      `The password of upstream ${row.id} ("${row.name}") cannot be decrypted with this SECRET_KEY: ` +
        "it was stored under another key, or the row was altered.",
    );
  }
}

/** The pool's view of an upstream row, its password opened; throws SecretDecryptError naming the row. */
export function toConfig(row: UpstreamRow, secretKey: Uint8Array): UpstreamConfig {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    tls: row.tls,
    tls_ca: row.tlsCa,
    tls_servername: row.tlsServername,
    tls_insecure: row.tlsInsecure,
    system_id: row.systemId,
    password: openPassword(row, secretKey),
    system_type: row.systemType,
    bind_mode: row.bindMode,
    sessions: row.sessions,
    window: row.window,
    max_tps: row.maxTps,
    enquire_link_interval: row.enquireLinkInterval,
    response_timeout: row.responseTimeout,
    source_ton: row.sourceTon,
    source_npi: row.sourceNpi,
    dest_ton: row.destTon,
    dest_npi: row.destNpi,
    dcs0_charset: row.dcs0Charset,
    long_message_mode: row.longMessageMode,
    message_id_format: row.messageIdFormat,
    enabled: row.enabled,
    pdu_log: row.pduLogEnabled,
  };
}
