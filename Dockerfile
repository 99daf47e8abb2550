# syntax=docker/dockerfile:1
# amko server image: small, non-root, read-only-root-filesystem friendly.
#   docker build -t amko:$(node -p "require('./package.json').version") .

# --- build: compile TypeScript and regenerate the CRDs from src/api
FROM node:20-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && node dist/cli.js crds --out-dir /out/crds

# --- runtime dependencies only
FROM node:20-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM node:20-alpine
ENV NODE_ENV=production \
    XDG_CACHE_HOME=/tmp \
    AMKO_CERT_DIR=/tmp/certs
WORKDIR /app
RUN addgroup -S -g 10001 amko && adduser -S -D -H -u 10001 -G amko amko
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The CRDs and the webhook registrations ship inside the image (amko crds prints them too).
COPY --from=build /out/crds ./crds
COPY webhook-config ./webhook-config
# Certificates and scratch files go to /tmp (an emptyDir in the chart); the root stays read-only.
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
