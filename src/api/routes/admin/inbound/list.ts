import { createRoute } from "@hono/zod-openapi";
import { listInbound } from "../../../../core/inbound/queries.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AdminInboundPageSchema, AdminInboundQuerySchema, toAdminInboundResponse } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/admin/inbound",
  operationId: "adminListInbound",
  tags: ["Inbound"],
  summary: "List every inbound SMS, or those to no known number, newest first",
  description:
    "An SMS to a number no account owns is kept, not dropped: it shows here with `account_id` null " +
    "(`?unassigned=true` lists only those).",
  security: ADMIN_SECURITY,
  request: { query: AdminInboundQuerySchema },
  responses: {
    200: {
      description: "A page of inbound SMS",
      content: { "application/json": { schema: AdminInboundPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerAdminListInbound = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor, unassigned, account_id } = c.req.valid("query");
    const page = await listInbound(
      c.get("deps").db,
      { unassigned, accountId: account_id },
      { limit, before: decodeCursor(cursor) },
    );
    return c.json(
      { data: page.items.map(toAdminInboundResponse), next_cursor: encodeCursor(page.next) },
      200,
    );
  });
