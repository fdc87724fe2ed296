import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { type Logger, pino } from "pino";
import type { ZodError } from "zod";
import { MessageService } from "../core/messages/service.js";
import {
  ConflictError,
  InvalidReferenceError,
  isDatabaseUnavailable,
  NotFoundError,
} from "../core/service-errors.js";
import type { App, AppDeps, AppEnv } from "./app-env.js";
import { adminAuth, customerAuth } from "./auth.js";
import { ApiError, type FieldError } from "./errors.js";
import { registerSecuritySchemes } from "./openapi.js";
import { fieldErrors, problemResponse } from "./problem.js";
import { requestBody } from "./request-body.js";
import { registerRoutes } from "./route-list.js";
import { unstorableStrings } from "./storable-text.js";

/** Largest request body accepted (2 MiB); more is a 413 before anything parses it. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/**
 * Largest body of `POST /v1/messages/batch` (16 MiB): 1,000 valid messages of 1,600 characters each
 * written as JSON `\uXXXX` escapes are 9.6 MB of text alone. Read only after the API key is checked,
 * so no stranger makes us buffer more than {@link MAX_BODY_BYTES}.
 */
export const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;
const BATCH_PATH = "/v1/messages/batch";

/**
 * The HTTP API: every route of the explicit route list, one error model (problem+json with a request
 * id for every failure, from validation to unknown routes to crashes), admin auth on /admin/* and
 * customer auth on /v1/*.
 */
export function createApp(deps: AppDeps): App {
  const logger = deps.logger ?? pino({ level: "warn" });
  const messages =
    deps.messages ??
    new MessageService({
      db: deps.db,
      allowPrivateCallbacks: deps.config.webhookAllowPrivate,
      logger,
    });
  const wakeWebhooks = deps.wakeWebhooks ?? (() => {});
  const routesChanged = deps.routesChanged ?? (() => {});
  const resolved: Required<AppDeps> = {
    ...deps,
    logger,
    messages,
    wakeWebhooks,
    routesChanged,
    metrics: deps.metrics ?? null,
    apiKeyUses: deps.apiKeyUses ?? { record: () => {} },
  };
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId());
  app.use(async (c, next) => {
    c.set("deps", resolved);
    await next();
  });
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        problemResponse(
          c,
          new ApiError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${c.req.path}.`, {
            headers: { Allow: methods.join(", ") },
          }),
        ),
    }),
  );
  const bodies = requestBody(MAX_BODY_BYTES, () => tooLarge(MAX_BODY_BYTES));
  app.use((c, next) => (c.req.path === BATCH_PATH ? next() : bodies(c, next)));
  app.use("/admin/*", adminAuth());
  app.use("/v1/*", customerAuth());
  app.use(
    BATCH_PATH,
    requestBody(MAX_BATCH_BODY_BYTES, () => tooLarge(MAX_BATCH_BODY_BYTES)),
  );

  registerSecuritySchemes(app);
  registerRoutes(app);

  app.notFound((c) =>
    problemResponse(c, new ApiError("NOT_FOUND", `No route ${c.req.method} ${c.req.path}.`)),
  );
  app.onError((error, c) => problemResponse(c, toApiError(error, c.get("requestId"), resolved.logger)));
  return app;
}

function tooLarge(limit: number): never {
  throw new ApiError("PAYLOAD_TOO_LARGE", `The body exceeds ${limit} bytes.`);
}

/**
 * Zod failures of any request part become one 422 listing every failed field; so do strings nothing of
 * ours can store (lone surrogates, NUL; see storable-text.ts), which a JSON escape or a percent-encoded
 * path or query can carry past any schema and which PostgreSQL refuses (a 503 or 500 before).
 */
function validationHook(result: {
  target: string;
  success: boolean;
  data?: unknown;
  error?: ZodError;
}): void {
  let errors: FieldError[] = [];
  if (result.success) errors = unstorableStrings(result.data);
  else if (result.error !== undefined) errors = fieldErrors(result.error);
  if (errors.length === 0) return;
  throw new ApiError("VALIDATION_FAILED", `The ${describeTarget(result.target)} is invalid.`, { errors });
}

function describeTarget(target: string): string {
  switch (target) {
    case "json":
      return "request body";
    case "query":
      return "query string";
    case "param":
      return "path";
    case "header":
      return "request header set";
    default:
      return target;
  }
}

/** Everything thrown, in the closed error set; anything unforeseen is logged and told apart by id. */
function toApiError(error: Error, requestIdValue: string, logger: Logger): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof NotFoundError)
    return new ApiError("NOT_FOUND", `${error.entity} ${error.id} not found.`);
  if (error instanceof ConflictError) return new ApiError("CONFLICT", error.message);
  if (error instanceof InvalidReferenceError) {
    return new ApiError("VALIDATION_FAILED", "The request body is invalid.", {
      errors: [{ path: error.path, message: error.message }],
    });
  }
  if (error instanceof HTTPException) {
    // Raised by Hono's own validators and middleware before any handler runs.
    switch (error.status) {
      case 400:
        return new ApiError("MALFORMED_JSON", "The body is not valid JSON.");
      case 413:
        return new ApiError("PAYLOAD_TOO_LARGE", `The body exceeds ${MAX_BODY_BYTES} bytes.`);
      case 415:
        return new ApiError("UNSUPPORTED_MEDIA_TYPE", "The body must be application/json.");
    }
  }
  if (isDatabaseUnavailable(error)) {
    logger.error({ err: error, request_id: requestIdValue }, "database unavailable");
    return new ApiError("SERVICE_UNAVAILABLE", "The database is unavailable; try again shortly.", {
      retryAfter: 5,
      cause: error,
    });
  }
  logger.error({ err: error, request_id: requestIdValue }, "unhandled error");
  return new ApiError(
    "INTERNAL",
    `An unexpected error occurred. Quote request id ${requestIdValue} to the operator.`,
    { cause: error },
  );
}
