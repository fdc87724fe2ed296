import { createRoute, z } from "@hono/zod-openapi";
import { getUpstream } from "../../../../core/upstreams.js";
import type { App } from "../../../app-env.js";
import { IdParamsSchema, timestamp } from "../../../fields.js";
import { problemResponses } from "../../../problem.js";
import { ADMIN_SECURITY } from "../security.js";

export const SessionSchema = z
  .object({
    id: z.string(),
    state: z.enum(["connecting", "binding", "bound", "unbinding", "backoff", "closed"]),
    local_address: z.string().nullable().openapi({ example: "127.0.0.1:53412" }),
    remote_address: z.string().nullable().openapi({ example: "10.0.0.5:2775" }),
    bound_at: timestamp().nullable(),
    in_flight: z.number().int().openapi({ description: "Requests awaiting a response" }),
    send_rate_limit: z
      .number()
      .nullable()
      .openapi({
        description:
          "submit_sm per second this session keeps to since the SMSC answered ESME_RTHROTTLED or ESME_RMSGQFUL " +
          "(85 % of what it accepted, +25 % per second without throttling); null when no such limit applies",
        example: null,
      }),
    submitted: z.number().int().openapi({ description: "submit_sm sent on this session" }),
    received: z.number().int().openapi({ description: "deliver_sm received on this session" }),
    last_error: z.string().nullable(),
  })
  .openapi("Session");

const route = createRoute({
  method: "get",
  path: "/admin/upstreams/{id}/sessions",
  operationId: "listUpstreamSessions",
  tags: ["Upstreams"],
  summary: "The upstream's live SMPP sessions",
  security: ADMIN_SECURITY,
  request: { params: IdParamsSchema },
  responses: {
    200: {
      description: "Live sessions",
      content: {
        "application/json": {
          schema: z
            .object({
              data: z.array(SessionSchema),
              next_cursor: z.null().openapi({ description: "Always null: every live session is listed" }),
            })
            .openapi("SessionList"),
        },
      },
    },
    ...problemResponses("UNAUTHORIZED", "NOT_FOUND", "VALIDATION_FAILED"),
  },
});

export const registerUpstreamSessions = (app: App) =>
  app.openapi(route, async (c) => {
    const { db, upstreamRuntime } = c.get("deps");
    const upstream = await getUpstream(db, c.req.valid("param").id);
    return c.json({ data: upstreamRuntime.sessions(upstream.id), next_cursor: null }, 200);
  });
