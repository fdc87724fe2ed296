import { createRoute } from "@hono/zod-openapi";
import { listUpstreams } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { toUpstreamResponse, UpstreamPageSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/admin/upstreams",
  operationId: "listUpstreams",
  tags: ["Upstreams"],
  summary: "List upstreams, newest first",
  security: ADMIN_SECURITY,
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of upstreams",
      content: { "application/json": { schema: UpstreamPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerListUpstreams = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listUpstreams(c.get("deps").db, { limit, before: decodeCursor(cursor) });
    return c.json({ data: page.items.map(toUpstreamResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
