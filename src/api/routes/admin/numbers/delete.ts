import { createRoute } from "@hono/zod-openapi";
import { deleteNumber } from "../../../../core/numbers.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";

const route = createRoute({
  method: "delete",
  path: "/admin/numbers/{id}",
  operationId: "deleteNumber",
  tags: ["Numbers"],
  summary: "Release an inbound number (inbound SMS already received keep their account)",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerDeleteNumber = (app: App) =>
  app.openapi(route, async (c) => {
    await deleteNumber(c.get("deps").db, c.req.valid("param").id);
    return c.body(null, 204);
  });
