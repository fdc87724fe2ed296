import { createRoute } from "@hono/zod-openapi";
import { deleteAccount } from "../../../../core/accounts.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";

const route = createRoute({
  method: "delete",
  path: "/admin/accounts/{id}",
  operationId: "deleteAccount",
  tags: ["Accounts"],
  summary: "Delete an account with its API keys and webhook endpoints",
  description:
    "Refused with 409 while numbers or routes belong to the account, and once it has message history " +
    "(messages, inbound SMS, events are kept for billing and disputes): revoke its API keys instead.",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "VALIDATION_FAILED"),
  },
});

export const registerDeleteAccount = (app: App) =>
  app.openapi(route, async (c) => {
    await deleteAccount(c.get("deps").db, c.req.valid("param").id);
    return c.body(null, 204);
  });
