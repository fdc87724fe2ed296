import { createRoute } from "@hono/zod-openapi";
import { getAccount } from "../../../../core/accounts.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AccountSchema, toAccountResponse } from "./schemas.js";

const route = createRoute({
  method: "get",
  path: "/admin/accounts/{id}",
  operationId: "getAccount",
  tags: ["Accounts"],
  summary: "Get an account",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: "The account", content: { "application/json": { schema: AccountSchema } } },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerGetAccount = (app: App) =>
  app.openapi(route, async (c) => {
    const account = await getAccount(c.get("deps").db, c.req.valid("param").id);
    return c.json(toAccountResponse(account), 200);
  });
