# Open Working Hours backend. Multi-stage: compile with dev dependencies, run with production ones only.
# Build: docker build -t owh-backend .      Run: see docker-compose.yml and docs/deployment.md

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
# The server starts its worker processes (WEB_CONCURRENCY, one per core by default) with the V8 memory
# flags of src/process/memory-flags.json, as on every other start path: no NODE_OPTIONS needed here. Set
# NODE_OPTIONS=--max-old-space-size=... only to override them (docs/performance.md).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/scripts ./scripts
# Writable by the service only if DATABASE_URL points at SQLite (e.g. a demo instance): sqlite:/app/data/owh.db
RUN mkdir -p /app/data && chown node:node /app/data
# The official image's unprivileged user.
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations are applied at start (MIGRATE_ON_START, default true); several replicas starting at once are safe.
CMD ["node", "dist/server.js"]
