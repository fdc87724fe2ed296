import type { App } from "../../../app-env.js";
import { registerGetInbound } from "./get.js";
import { registerListInbound } from "./list.js";

/** The customer routes for inbound SMS, in the order the OpenAPI document lists them. */
export const INBOUND_ROUTES: ReadonlyArray<(app: App) => unknown> = [registerListInbound, registerGetInbound];
