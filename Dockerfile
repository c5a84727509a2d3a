# Image of the sales-pipeline command: `migrate` and the workers (produce, consume, analytics, notify).
# The code is TypeScript run through tsx at run time (a production dependency): there is no build step.
# docker-compose.yml tags it sales-pipeline:local and gives each service its subcommand as `command:`.

# Stage 1: production dependencies, exactly as locked. Only the manifests are copied, so this layer
# is rebuilt when a dependency changes, not when the source does.
FROM node:24.11-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY platform/package.json platform/
COPY stack/package.json stack/
COPY cli/package.json cli/
COPY producer/package.json producer/
COPY consumer/package.json consumer/
COPY analytics/package.json analytics/
COPY notifier/package.json notifier/
# --ignore-scripts: no install script is needed at run time (esbuild, used by tsx, finds its
# platform binary package by itself; ssh2/cpu-features would only try a native build, which the slim
# image cannot do). Workspace packages become relative symlinks, resolved once the source is copied.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Stage 2: the runtime. Files stay owned by root and the process runs as the unprivileged `node`
# user, so the running code cannot modify itself.
FROM node:24.11-slim
ENV NODE_ENV=production
WORKDIR /app
# node_modules, the root and workspace manifests and the lockfile from stage 1.
COPY --from=deps /app/ ./
COPY tsconfig.json tsconfig.base.json ./
COPY platform/ platform/
COPY stack/ stack/
COPY cli/ cli/
COPY producer/ producer/
COPY consumer/ consumer/
COPY analytics/ analytics/
COPY notifier/ notifier/
COPY db/ db/
COPY connectors/ connectors/
USER node
ENTRYPOINT ["node", "cli/bin/sales-pipeline.js"]
CMD ["--help"]
