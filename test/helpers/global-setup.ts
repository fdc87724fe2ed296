import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { loadDatabaseConfig } from "../../src/config.js";
import { openPglite } from "../../src/db/client.js";
import { runMigrations } from "../../src/db/migrations.js";
import { createMigratedDatabase, dropDatabase } from "./pg-admin.js";

let cleanup: (() => Promise<void>) | undefined;

/**
 * Prepares one migrated template per run, which each test file copies (test/helpers/db.ts): with
 * DATABASE_URL a template database, cloned with CREATE DATABASE … TEMPLATE; without it a dump of a
 * migrated PGlite, loaded into a fresh in-memory PGlite (initialising PGlite is the slow part).
 */
export async function setup(project: TestProject): Promise<void> {
  const baseUrl = loadDatabaseConfig().databaseUrl;
  if (baseUrl !== undefined) {
    const name = await createMigratedDatabase(baseUrl, "tpl");
    cleanup = () => dropDatabase(baseUrl, name);
    project.provide("dbTemplate", name);
    project.provide("pgliteTemplateFile", "");
    return;
  }
  const { database, client } = await openPglite(undefined);
  const file = join(tmpdir(), `smpp-bridge-pglite-template-${process.pid}.tar`);
  try {
    await runMigrations(database);
    const dump = await client.dumpDataDir("none");
    await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await database.close();
  }
  cleanup = () => rm(file, { force: true });
  project.provide("dbTemplate", "");
  project.provide("pgliteTemplateFile", file);
}

export async function teardown(): Promise<void> {
  await cleanup?.();
}
