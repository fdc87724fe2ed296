import type { Database } from "../../../db/client.js";
import type { App } from "../../app-env.js";

/** The Prometheus exposition of a running service (src/ops/metrics.ts implements it). */
export interface MetricsExposition {
  /** The Content-Type of {@link render}'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  render(): Promise<string>;
}

// The registry belongs to the running service, not to the app: main registers it against the database
// the app wraps (the same hand-over the messages and webhook routes use). An app without one — route
// tests — answers an empty exposition.
const expositions = new WeakMap<Database, MetricsExposition>();

/** Makes `exposition` what GET /metrics of apps on `db` serves. Call before serving. */
export function provideMetrics(db: Database, exposition: MetricsExposition): void {
  expositions.set(db, exposition);
}

const EMPTY_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * GET /metrics: Prometheus text, no authentication (DESIGN.md §4 Operations; keep it off the public
 * network). Not in the OpenAPI document, like /openapi.json: it is for scrapers, not API clients.
 */
export const registerMetrics = (app: App) =>
  app.get("/metrics", async (c) => {
    const exposition = expositions.get(c.get("deps").db);
    if (exposition === undefined) return c.body("", 200, { "Content-Type": EMPTY_CONTENT_TYPE });
    const text = await exposition.render();
    return c.body(text, 200, { "Content-Type": exposition.contentType, "Cache-Control": "no-store" });
  });
