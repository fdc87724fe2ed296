import type { App } from "../../app-env.js";
import { documentOf } from "../../openapi.js";

/** GET /openapi.json: the OpenAPI 3.1 document of this very app, built once on first request. */
export const registerOpenApiJson = (app: App) => {
  let document: ReturnType<typeof documentOf> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= documentOf(app);
    return c.json(document, 200);
  });
};
