import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../app-env.js";
import { problemResponses } from "../../problem.js";

export const StatusSchema = z.object({ status: z.literal("ok") }).openapi("Status");

const route = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "healthz",
  tags: ["Operations"],
  summary: "Liveness: the process answers",
  security: [],
  responses: {
    200: { description: "Alive", content: { "application/json": { schema: StatusSchema } } },
    ...problemResponses(),
  },
});

export const registerHealthz = (app: App) =>
  app.openapi(route, (c) => c.json({ status: "ok" as const }, 200));
