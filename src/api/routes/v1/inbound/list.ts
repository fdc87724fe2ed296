import { createRoute } from "@hono/zod-openapi";
import { listInbound } from "../../../../core/inbound/queries.js";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { INBOUND_SECURITY, InboundListQuerySchema, InboundPageSchema, toInboundResponse } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/inbound",
  operationId: "listInbound",
  tags: ["Inbound"],
  summary: "List inbound SMS to your numbers, newest first",
  description:
    "The inbox: every inbound SMS to a number of your account, whether or not a webhook took it. " +
    "A concatenated SMS appears once, reassembled.",
  security: INBOUND_SECURITY,
  request: { query: InboundListQuerySchema },
  responses: {
    200: {
      description: "A page of inbound SMS",
      content: { "application/json": { schema: InboundPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerListInbound = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor, to } = c.req.valid("query");
    const page = await listInbound(
      c.get("deps").db,
      { accountId: c.get("accountId"), to },
      { limit, before: decodeCursor(cursor) },
    );
    return c.json({ data: page.items.map(toInboundResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
