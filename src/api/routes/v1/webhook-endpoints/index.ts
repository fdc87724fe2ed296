import type { App } from "../../../app-env.js";

/** The customer routes for webhook endpoints, in the order the OpenAPI document lists them. */
export const WEBHOOK_ENDPOINT_ROUTES: ReadonlyArray<(app: App) => unknown> = [];
