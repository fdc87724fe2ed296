import { createRoute, z } from "@hono/zod-openapi";
import { setUpstreamPduLog } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";
import { upstreamDeps } from "./deps.js";

export const PduLogSwitchSchema = z.strictObject({ enabled: z.boolean() }).openapi("PduLogSwitch");

const route = createRoute({
  method: "put",
  path: "/admin/upstreams/{id}/pdu-log",
  operationId: "setUpstreamPduLog",
  tags: ["Upstreams"],
  summary: "Turn the upstream's PDU trace on or off",
  description: "The setting is stored, so it survives a restart. Turning it off keeps what was logged.",
  security: ADMIN_SECURITY,
  request: {
    params: IdParamsSchema,
    body: { required: true, content: { "application/json": { schema: PduLogSwitchSchema } } },
  },
  responses: {
    200: { description: "The new setting", content: { "application/json": { schema: PduLogSwitchSchema } } },
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

export const registerPutPduLog = (app: App) =>
  app.openapi(route, async (c) => {
    const { enabled } = c.req.valid("json");
    await setUpstreamPduLog(upstreamDeps(c), c.req.valid("param").id, enabled);
    return c.json({ enabled }, 200);
  });
