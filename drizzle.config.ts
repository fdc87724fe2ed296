import { defineConfig } from "drizzle-kit";

// Used only by drizzle-kit (generate/check) at development time; it needs no database connection.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  casing: undefined,
  strict: true,
  verbose: true,
});
