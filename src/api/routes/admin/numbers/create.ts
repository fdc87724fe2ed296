import { createRoute } from "@hono/zod-openapi";
import { createNumber } from "../../../../core/numbers.js";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { NumberCreateSchema, NumberSchema, toNumberResponse } from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/admin/numbers",
  operationId: "createNumber",
  tags: ["Numbers"],
  summary: "Assign an inbound number to an account",
  description: "A number belongs to one account: assigning it again is a 409. An unknown account is a 422.",
  security: ADMIN_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: NumberCreateSchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: NumberSchema } } },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "CONFLICT",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
    ),
  },
});

export const registerCreateNumber = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const created = await createNumber(c.get("deps").db, { number: body.number, accountId: body.account_id });
    return c.json(toNumberResponse(created), 201);
  });
