import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { decodeCursor, encodeCursor, PageQuerySchema } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { endpointService } from "./deps.js";
import { CUSTOMER_SECURITY, toEndpointResponse, WebhookEndpointPageSchema } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints",
  operationId: "listWebhookEndpoints",
  tags: ["Webhook endpoints"],
  summary: "List webhook endpoints, newest first (secrets are never listed)",
  security: CUSTOMER_SECURITY,
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of endpoints",
      content: { "application/json": { schema: WebhookEndpointPageSchema } },
    },
    ...problemResponses("UNAUTHORIZED", "VALIDATION_FAILED"),
  },
});

export const registerListWebhookEndpoints = (app: App) =>
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await endpointService(c).list(c.get("accountId"), { limit, before: decodeCursor(cursor) });
    return c.json({ data: page.items.map(toEndpointResponse), next_cursor: encodeCursor(page.next) }, 200);
  });
