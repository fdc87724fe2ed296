import { createRoute } from "@hono/zod-openapi";
import { createApiKey } from "../../../../core/api-keys.js";
import type { App } from "../../../app-env.js";
import { iso } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { AccountParamsSchema, ApiKeyCreateSchema, CreatedApiKeySchema } from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/admin/accounts/{id}/api-keys",
  operationId: "createApiKey",
  tags: ["API keys"],
  summary: "Create an API key for the account (the key is shown once)",
  security: ADMIN_SECURITY,
  request: {
    params: AccountParamsSchema,
    body: { required: false, content: { "application/json": { schema: ApiKeyCreateSchema } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedApiKeySchema } } },
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

export const registerCreateApiKey = (app: App) =>
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("json");
    const created = await createApiKey(c.get("deps").db, c.req.valid("param").id, name ?? null);
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        id: created.id,
        key: created.key,
        prefix: created.prefix,
        created_at: iso(created.createdAt),
        last_used_at: null,
      },
      201,
    );
  });
