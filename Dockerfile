# Image of the sales-pipeline command: `migrate` and the workers (produce, consume, analytics, notify).
# It runs the compiled JavaScript (each workspace package's dist/, built here by `npm run build`) with
# production dependencies only: no TypeScript, no tsx, no source in the final image.
# docker-compose.yml tags it sales-pipeline:local and gives each service its subcommand as `command:`.
#
# Stages: manifests (the root and workspace package.json files and the lockfile) -> dependencies
# (all, as locked) -> build (tsc -b) ; manifests -> production-dependencies (--omit=dev) -> runtime
# (production node_modules + every package's dist/ and package.json, the bin, the migrations, the
# connector). stack/src/docker-config.test.ts checks this file against the workspaces in
# package.json and the node tag against the other stages (it runs in `npm test`).

# One pinned Node 24 base for every stage (the CI and engines policy: Node 24 LTS).
FROM node:24.11-slim AS base
WORKDIR /app

# The manifests only, once for both installs below: their layers are rebuilt when a dependency
# changes, not when the source does.
FROM base AS manifests
COPY package.json package-lock.json ./
COPY platform/package.json platform/
COPY stack/package.json stack/
COPY cli/package.json cli/
COPY producer/package.json producer/
COPY consumer/package.json consumer/
COPY analytics/package.json analytics/
COPY notifier/package.json notifier/
COPY dashboard/package.json dashboard/

# Stage 1: every dependency, dev ones included (typescript, @types/*), exactly as locked.
# --ignore-scripts: the root `prepare` script would run the build before the source is here, and no
# other install script is needed (tsc is plain JavaScript; ssh2/cpu-features would only try a native
# build, which the slim image cannot do).
FROM manifests AS dependencies
RUN npm ci --ignore-scripts --no-audit --no-fund

# Stage 2: the build, `tsc -b tsconfig.build.json`, which emits <package>/dist/ for every workspace
# package. The context holds no dist/ or test (.dockerignore): the output is built here.
FROM dependencies AS build
COPY tsconfig.base.json tsconfig.build.json ./
COPY platform/ platform/
COPY stack/ stack/
COPY cli/ cli/
COPY producer/ producer/
COPY consumer/ consumer/
COPY analytics/ analytics/
COPY notifier/ notifier/
COPY dashboard/ dashboard/
RUN npm run build

# Stage 3: production dependencies only. --ignore-scripts for the same reasons as stage 1 (and
# `prepare` would try to build with a TypeScript that --omit=dev leaves out). Workspace packages
# become relative symlinks (node_modules/@sales-pipeline/* -> ../../<package>), resolved in stage 4
# once each package's package.json and dist/ are there.
FROM manifests AS production-dependencies
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Stage 4: the runtime. Files stay owned by root and the process runs as the unprivileged `node`
# user, so the running code cannot modify itself.
FROM base AS runtime
ENV NODE_ENV=production
# The workers' V8 heap bounds and helper threads (platform/src/worker-runtime.ts WORKER_NODE_FLAGS; a test keeps them equal).
ENV NODE_OPTIONS="--max-semi-space-size=2 --max-old-space-size=64 --v8-pool-size=1"
# glibc's allocator thresholds for the workers (WORKER_MALLOC_ENV, same file; the same test).
ENV MALLOC_MMAP_THRESHOLD_=131072
ENV MALLOC_TRIM_THRESHOLD_=131072
# node_modules, the root and workspace manifests and the lockfile.
COPY --from=production-dependencies /app/ ./
# The compiled code: each package's `exports` maps `default` to ./dist.
COPY --from=build /app/platform/dist/ platform/dist/
COPY --from=build /app/stack/dist/ stack/dist/
COPY --from=build /app/cli/dist/ cli/dist/
COPY --from=build /app/producer/dist/ producer/dist/
COPY --from=build /app/consumer/dist/ consumer/dist/
COPY --from=build /app/analytics/dist/ analytics/dist/
COPY --from=build /app/notifier/dist/ notifier/dist/
COPY --from=build /app/dashboard/dist/ dashboard/dist/
# The command (imports ../dist/main.js), the SQL migrations `migrate` applies and the connector
# definition, found from the clone's root (stack's REPO_ROOT: stack/dist/.. /..).
COPY cli/bin/ cli/bin/
COPY db/migrations/ db/migrations/
COPY connectors/ connectors/
USER node
ENTRYPOINT ["node", "cli/bin/sales-pipeline.js"]
CMD ["--help"]
