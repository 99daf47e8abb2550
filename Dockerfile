# syntax=docker/dockerfile:1
# amko server image: Node.js 24 LTS, runtime dependencies only, non-root (uid 10001),
# read-only-root-filesystem friendly (it writes only to /tmp, an emptyDir in the chart).
#   docker build -t amko:$(node -p "require('./package.json').version") .
#   bash scripts/image.sh      builds this file with buildah on a locally made base (no registry pull)

# NODE_VERSION is the one source of the Node.js version: scripts/node24.sh (the CI's Node 24 leg)
# and scripts/image.sh (the local base) read it from here.
ARG NODE_VERSION=24.22.3
# The base of every stage: Debian bookworm with Node.js and npm in /usr/local, as the official
# image has them. Pinned by exact version tag, not by digest: the registry could not be reached
# where this was written to establish one. To pin by digest:
#   --build-arg NODE_IMAGE=docker.io/library/node:24.22.3-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=docker.io/library/node:${NODE_VERSION}-bookworm-slim

# --- build: compile TypeScript (dev dependencies) and generate the CRDs from src/api
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --no-update-notifier
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && node dist/cli.js crds --out-dir /out/crds

# --- production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --no-update-notifier

# --- runtime
FROM ${NODE_IMAGE}
# A named user for uid 10001 (the chart's runAsUser), written directly so that no tool is needed.
RUN echo 'amko:x:10001:10001:amko:/nonexistent:/usr/sbin/nologin' >>/etc/passwd \
 && echo 'amko:x:10001:' >>/etc/group
ENV NODE_ENV=production \
    XDG_CACHE_HOME=/tmp
WORKDIR /app
# Everything under /app stays root-owned and read-only for the server.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The CRDs and the webhook registrations ship inside the image (amko crds prints them too).
COPY --from=build /out/crds ./crds
COPY webhook-config ./webhook-config
# Sizes V8's heap from the container's memory limit, then runs node (scripts/entrypoint.sh).
COPY scripts/entrypoint.sh ./entrypoint.sh
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["/bin/sh", "/app/entrypoint.sh", "/app/dist/cli.js"]
# Outside a cluster the generated certificate goes to /tmp; the chart passes its own args.
CMD ["serve", "--cert-dir=/tmp/certs"]
