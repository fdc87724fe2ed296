import { createRoute } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { App } from "../../app-env.js";
import { ApiError } from "../../errors.js";
import { problemResponses } from "../../problem.js";
import { StatusSchema } from "./healthz.js";

/** How long the database may take to answer `SELECT 1` before the service reports itself not ready. */
const PING_TIMEOUT_MS = 2_000;

const route = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "readyz",
  tags: ["Operations"],
  summary: "Readiness: the database answers",
  security: [],
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: StatusSchema } } },
    ...problemResponses("SERVICE_UNAVAILABLE"),
  },
});

export const registerReadyz = (app: App) =>
  app.openapi(route, async (c) => {
    const { db, logger } = c.get("deps");
    try {
      await withTimeout(db.execute(sql`SELECT 1`), PING_TIMEOUT_MS);
    } catch (error) {
      logger.warn({ err: error, request_id: c.get("requestId") }, "readiness: database ping failed");
      throw new ApiError("SERVICE_UNAVAILABLE", "The database does not answer.", { retryAfter: 5 });
    }
    return c.json({ status: "ok" as const }, 200);
  });

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
