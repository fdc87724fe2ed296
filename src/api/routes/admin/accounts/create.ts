import { createRoute } from "@hono/zod-openapi";
import { createAccount } from "../../../../core/accounts.js";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AccountCreateSchema, AccountSchema, toAccountResponse } from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/admin/accounts",
  operationId: "createAccount",
  tags: ["Accounts"],
  summary: "Create a customer account",
  security: ADMIN_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: AccountCreateSchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: AccountSchema } } },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerCreateAccount = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const account = await createAccount(c.get("deps").db, {
      name: body.name,
      defaultFrom: body.default_from,
      maxTps: body.max_tps,
    });
    return c.json(toAccountResponse(account), 201);
  });
