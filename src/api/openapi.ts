import { OpenAPIHono } from "@hono/zod-openapi";
import type { App, AppEnv } from "./app-env.js";
import { registerRoutes } from "./route-list.js";

const DOCUMENT_INFO = {
  openapi: "3.1.0",
  info: {
    title: "smpp-bridge",
    version: "0.1.0",
    description:
      "HTTP-to-SMPP gateway. Errors are application/problem+json (RFC 9457) with a request_id. " +
      "Customer routes (/v1) take `Authorization: Bearer <api key>`; admin routes (/admin) take the admin token.",
  },
  tags: [
    { name: "Operations", description: "Health, readiness and this document" },
    { name: "Upstreams", description: "Upstream SMSCs and their live sessions" },
    { name: "Accounts", description: "Customer accounts" },
    { name: "API keys", description: "Customer credentials" },
    { name: "Routes", description: "Destination prefix to upstreams" },
    { name: "Numbers", description: "Inbound numbers and their owners" },
  ],
};

/** Declare the two bearer schemes the routes refer to in their `security`. */
export function registerSecuritySchemes(app: App): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN of the service (admin routes only)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "A customer API key (/v1 routes only)",
  });
}

/** The OpenAPI 3.1 document of an assembled app. */
export function documentOf(app: App) {
  return app.getOpenAPI31Document(DOCUMENT_INFO);
}

/**
 * The document from the route list alone, without deps: what `npm run openapi` writes. It is the same
 * as `GET /openapi.json` because both come from `registerRoutes`.
 */
export function buildOpenApiDocument() {
  const app = new OpenAPIHono<AppEnv>();
  registerSecuritySchemes(app);
  registerRoutes(app);
  return documentOf(app);
}

/** Deterministic text of the document: 2-space JSON with a trailing newline. */
export function renderOpenApiDocument(document: ReturnType<typeof documentOf>): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
