import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { App } from "../../app-env.js";
import { ApiError } from "../../errors.js";

/**
 * GET /docs: the interactive reference (Swagger UI), served entirely from the installed
 * `swagger-ui-dist` package so it works offline and behind a strict firewall. Not part of the
 * OpenAPI document itself.
 */

const ASSET_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The only files served from the package: no path from the request ever reaches the filesystem. */
const PACKAGE_ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// Kept out of the HTML so a Content-Security-Policy without 'unsafe-inline' still allows the page.
// validatorUrl null: Swagger UI would otherwise send the spec to an online validator.
const INIT_SCRIPT = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>smpp-bridge API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

export const registerDocs = (app: App) => {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();

  app.get("/docs", (c) => c.html(PAGE));

  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    if (file === "init.js") {
      return c.body(INIT_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
    }
    const contentType = PACKAGE_ASSETS[file];
    if (contentType === undefined) throw new ApiError("NOT_FOUND", `No documentation asset ${file}.`);
    let bytes = cache.get(file);
    if (bytes === undefined) {
      bytes = new Uint8Array(await readFile(join(ASSET_DIR, file)));
      cache.set(file, bytes);
    }
    return c.body(bytes, 200, { "Content-Type": contentType, "Cache-Control": "public, max-age=86400" });
  });
};
