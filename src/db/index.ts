export {
  type Database,
  type DatabaseKind,
  type DatabaseOptions,
  DEFAULT_POOL_SIZE,
  type Executor,
  type OpenDatabase,
  openDatabase,
  queryRows,
  type Schema,
  type Transaction,
} from "./client.js";
export { migrationsFolder, runMigrations } from "./migrations.js";
export * from "./schema.js";
export { smscIdCandidates, smscIdKey } from "./smsc-id.js";
