# syntax=docker/dockerfile:1
# smpp-bridge: a two-stage image. The build stage has the dev dependencies (TypeScript); the runtime
# stage has the production dependencies only, the compiled dist/ and the drizzle/ migrations, and runs
# as the unprivileged `node` user.
#
#   docker build -t smpp-bridge .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=… -e ADMIN_TOKEN=… -e SECRET_KEY=… smpp-bridge
#
# Without DATABASE_URL the container runs the first-run demo (embedded PGlite in /app/data, the SMSC
# simulator, a demo account) — handy to try, not for production. compose.yaml adds PostgreSQL.

ARG NODE_VERSION=20

# --- build: compile TypeScript to dist/ ---------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall patches the PostgreSQL driver (scripts/patch-postgres.mjs says why).
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies only -------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The migrations are found by walking up from dist/src/db, so drizzle/ sits beside dist/.
COPY drizzle ./drizzle
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
# Slim images have no curl: ask node (global fetch, Node 20) whether /healthz answers 200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) drains: 503 to new requests, pending batches flushed, sessions unbound.
STOPSIGNAL SIGTERM
# --max-semi-space-size: see src/ops/heap-policy.ts (peak RSS ~300 → ~225 MB under load).
CMD ["node", "--max-semi-space-size=32", "dist/src/cli.js", "serve"]
