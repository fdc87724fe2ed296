import { z } from "@hono/zod-openapi";
import type { Route } from "../../../../core/routes.js";
import { iso, timestamp } from "../../../fields.js";
import { pageSchema } from "../../../pagination.js";

/** Most upstreams one route may fail over across. */
const MAX_UPSTREAMS_PER_ROUTE = 16;

export const RouteCreateSchema = z
  .strictObject({
    prefix: z
      .string()
      .regex(/^\+?[0-9]{0,15}$/, "Must be 0–15 digits (a leading + is ignored)")
      .transform((prefix) => prefix.replace(/^\+/, ""))
      .openapi({ description: 'Destination prefix; "" matches every number', example: "4477" }),
    upstream_ids: z
      .array(z.string().min(1))
      .min(1)
      .max(MAX_UPSTREAMS_PER_ROUTE)
      .refine((ids) => new Set(ids).size === ids.length, "Must not list an upstream twice")
      .openapi({ description: "Failover order; upstreams with no bound session are skipped" }),
    account_id: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .openapi({ description: "Only for this account (tried before shared routes); absent: shared" }),
  })
  .openapi("RouteCreate");

export const RouteSchema = z
  .object({
    id: z.string().openapi({ example: "rte_01jd8x3r4t5v6w7x8y9z0a1b2c" }),
    prefix: z.string(),
    upstream_ids: z.array(z.string()),
    account_id: z.string().nullable(),
    created_at: timestamp(),
  })
  .openapi("Route");

export const RoutePageSchema = pageSchema(RouteSchema, "RoutePage");

export function toRouteResponse(r: Route): z.infer<typeof RouteSchema> {
  return {
    id: r.id,
    prefix: r.prefix,
    upstream_ids: r.upstreamIds,
    account_id: r.accountId,
    created_at: iso(r.createdAt),
  };
}
