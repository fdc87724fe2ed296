import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests open real sockets and databases; two cores want few workers.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // With DATABASE_URL: one migrated template database per run, cloned per test file.
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
