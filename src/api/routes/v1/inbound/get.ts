import { createRoute } from "@hono/zod-openapi";
import { getInbound } from "../../../../core/inbound/queries.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { INBOUND_SECURITY, InboundMessageSchema, toInboundResponse } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/inbound/{id}",
  operationId: "getInbound",
  tags: ["Inbound"],
  summary: "Get an inbound SMS",
  description: "Another account's inbound SMS is not found, like one that does not exist.",
  security: INBOUND_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: {
      description: "The inbound SMS",
      content: { "application/json": { schema: InboundMessageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerGetInbound = (app: App) =>
  app.openapi(route, async (c) => {
    const row = await getInbound(c.get("deps").db, c.get("accountId"), c.req.valid("param").id);
    return c.json(toInboundResponse(row), 200);
  });
