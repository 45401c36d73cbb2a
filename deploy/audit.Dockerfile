# syntax=docker/dockerfile:1.7
# The batch audit as a container image, built with no network: dependencies come from the lockfile
# through an npm cache you supply (`npm ci` on any machine fills ~/.npm), bundles are baked in from
# models/ (or mounted over /app/models, or given with --model /path). Only the base image is pulled
# (or taken from a local registry mirror).
#
#   docker build -f deploy/audit.Dockerfile --build-context npm-cache=$HOME/.npm -t cxr-audit:0.1.0 .
#   docker run --rm -v /data:/data:ro -v /shared/audit-out:/out cxr-audit:0.1.0 \
#     --images /data/cxr-peds --labels /data/cxr-peds/labels.csv --out /out --shard 1/4
#
# In the image the audit reads images and writes tables only: no request to any host.

FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --network=none: the install must succeed from the cache alone (a missing package fails the build
# here instead of being fetched). Dev dependencies stay: the audit runs its TypeScript through tsx.
RUN --network=none --mount=type=bind,from=npm-cache,target=/npm-cache,rw \
    npm ci --offline --cache /npm-cache --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CXR_DATA=/data \
    OBSERVABLE_TELEMETRY_DISABLE=true
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY scripts/audit.ts ./scripts/audit.ts
COPY models ./models
# The image's own user (uid 1000); the Kubernetes manifest's fsGroup lets it write the output volume.
USER node
ENTRYPOINT ["node", "--import", "tsx", "scripts/audit.ts"]
CMD ["--help"]
