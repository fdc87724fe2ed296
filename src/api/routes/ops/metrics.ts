import type { App } from "../../app-env.js";

/** The Prometheus exposition of a running service (src/ops/metrics.ts implements it). */
export interface MetricsExposition {
  /** The Content-Type of {@link render}'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  render(): Promise<string>;
}

const EMPTY_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * GET /metrics: Prometheus text, no authentication (DESIGN.md §4 Operations; keep it off the public
 * network). Not in the OpenAPI document, like /openapi.json: it is for scrapers, not API clients.
 */
export const registerMetrics = (app: App) =>
  app.get("/metrics", async (c) => {
    const exposition = c.get("deps").metrics;
    // An app without a running service's registry (route tests) answers an empty exposition.
    if (exposition === null) return c.body("", 200, { "Content-Type": EMPTY_CONTENT_TYPE });
    const text = await exposition.render();
    return c.body(text, 200, { "Content-Type": exposition.contentType, "Cache-Control": "no-store" });
  });
