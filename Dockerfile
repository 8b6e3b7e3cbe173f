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
# V8 memory: a small young generation and a 128 MB old-space limit keep the process near 110 MB under load
# (the live heap is 30-40 MB; see docs/performance.md). Raise --max-old-space-size if a log ever shows
# "JavaScript heap out of memory".
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=128"
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
