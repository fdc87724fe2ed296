import type { App } from "../../../app-env.js";

/** The customer routes for inbound SMS, in the order the OpenAPI document lists them. */
export const INBOUND_ROUTES: ReadonlyArray<(app: App) => unknown> = [];
