import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../../app-env.js";
import { problemResponses } from "../../../problem.js";
import { toMessageApiError } from "./errors.js";
import { CUSTOMER_SECURITY, PreviewRequestSchema, PreviewSchema } from "./schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/messages/preview",
  operationId: "previewMessage",
  tags: ["Messages"],
  summary: "How a text would be encoded and split, without sending it",
  security: CUSTOMER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: PreviewRequestSchema } } },
  },
  responses: {
    200: {
      description: "Encoding, segment count and each segment's characters",
      content: { "application/json": { schema: PreviewSchema } },
    },
    ...problemResponses(
      "MALFORMED_JSON",
      "UNAUTHORIZED",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "VALIDATION_FAILED",
      "SERVICE_UNAVAILABLE",
    ),
  },
});

export const registerPreviewMessage = (app: App) =>
  app.openapi(route, (c) => {
    const { text, encoding } = c.req.valid("json");
    try {
      return c.json(c.get("deps").messages.preview(text, encoding), 200);
    } catch (error) {
      throw toMessageApiError(error);
    }
  });
