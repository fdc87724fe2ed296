import { createRoute } from "@hono/zod-openapi";
import { updateAccount } from "../../../../core/accounts.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AccountPatchSchema, AccountSchema, toAccountPatch, toAccountResponse } from "./schemas.js";

const route = createRoute({
  method: "patch",
  path: "/admin/accounts/{id}",
  operationId: "updateAccount",
  tags: ["Accounts"],
  summary: "Change an account",
  security: ADMIN_SECURITY,
  request: {
    params: IdParamsSchema,
    body: { required: true, content: { "application/json": { schema: AccountPatchSchema } } },
  },
  responses: {
    200: { description: "The updated account", content: { "application/json": { schema: AccountSchema } } },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "NOT_FOUND",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerUpdateAccount = (app: App) =>
  app.openapi(route, async (c) => {
    const deps = c.get("deps");
    const account = await updateAccount(
      deps.db,
      c.req.valid("param").id,
      toAccountPatch(c.req.valid("json")),
    );
    deps.messages.accountChanged(account.id);
    return c.json(toAccountResponse(account), 200);
  });
