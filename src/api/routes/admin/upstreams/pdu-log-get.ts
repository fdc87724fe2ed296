import { createRoute, z } from "@hono/zod-openapi";
import { getUpstream } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema, timestamp } from "../../../fields.js";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../../../pagination.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";

export const PduLogEntrySchema = z
  .object({
    at: timestamp(),
    session_id: z.string(),
    direction: z.enum(["tx", "rx"]),
    command: z.string().openapi({ example: "submit_sm" }),
    sequence: z.number().int(),
    command_status: z.number().int(),
    hex: z.string().openapi({ description: "The whole PDU in hex, password octets masked" }),
  })
  .openapi("PduLogEntry");

const QuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .openapi({ param: { name: "limit", in: "query" }, description: "Entries, 1–100" }),
});

const route = createRoute({
  method: "get",
  path: "/admin/upstreams/{id}/pdu-log",
  operationId: "getUpstreamPduLog",
  tags: ["Upstreams"],
  summary: "The most recent PDUs of the upstream's sessions, newest first",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema, query: QuerySchema },
  responses: {
    200: {
      description: "Logged PDUs (a bounded ring: the oldest fall off)",
      content: {
        "application/json": {
          schema: z
            .object({
              enabled: z.boolean().openapi({ description: "Whether the trace is on" }),
              data: z.array(PduLogEntrySchema),
              next_cursor: z.null().openapi({
                description: "Always null: the ring holds one page (raise `limit` for more)",
              }),
            })
            .openapi("PduLog"),
        },
      },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerGetPduLog = (app: App) =>
  app.openapi(route, async (c) => {
    const { db, upstreamRuntime } = c.get("deps");
    const upstream = await getUpstream(db, c.req.valid("param").id);
    const { limit } = c.req.valid("query");
    return c.json(
      {
        enabled: upstream.pduLogEnabled,
        data: upstreamRuntime.pduLog(upstream.id, limit),
        next_cursor: null,
      },
      200,
    );
  });
