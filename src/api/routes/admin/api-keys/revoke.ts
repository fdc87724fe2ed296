import { createRoute } from "@hono/zod-openapi";
import { revokeApiKey } from "../../../../core/api-keys.js";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { KeyParamsSchema } from "./schemas.js";

const route = createRoute({
  method: "delete",
  path: "/admin/accounts/{id}/api-keys/{key_id}",
  operationId: "revokeApiKey",
  tags: ["API keys"],
  summary: "Revoke an API key; requests with it fail with 401 at once",
  description: "The key stays listed with its `revoked_at`. Revoking it again changes nothing.",
  security: ADMIN_SECURITY,
  request: { params: KeyParamsSchema },
  responses: {
    204: { description: "Revoked" },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerRevokeApiKey = (app: App) =>
  app.openapi(route, async (c) => {
    const { id, key_id } = c.req.valid("param");
    await revokeApiKey(c.get("deps").db, id, key_id);
    return c.body(null, 204);
  });
