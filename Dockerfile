# fleetbot as a container image. Build: docker build -t fleetbot . ; run: docker compose up -d
# (compose.yaml). Steps and settings: docs/operations.md, "Container image".

# The Node image both stages start from; a build with no registry passes one it has (--build-arg BASE=…).
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY . .
# From the sources: install, compile, keep only what runs. A context that already holds dist/ and the
# production node_modules/ (an unpacked `npm pack` with its dependencies installed) is used as it is,
# so an image can be built with no registry in reach.
RUN if [ ! -d node_modules ]; then \
      npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund; \
    fi
# The data folder, made here so the runtime stage needs no shell to own it.
WORKDIR /data

FROM ${BASE}
ENV NODE_ENV=production \
    FLEETBOT_DATA_DIR=/data \
    FLEETBOT_CONSOLE=off \
    FLEETBOT_HTTP_HOST=0.0.0.0 \
    FLEETBOT_HTTP_PORT=8080
WORKDIR /opt/fleetbot
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/templates ./templates
COPY --from=build /app/node_modules ./node_modules
# uid 1000 is `node` in the official images; by number, so a base without that name works too.
COPY --from=build --chown=1000:1000 /data /data
USER 1000:1000
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.FLEETBOT_HTTP_PORT}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/fleetbot.js", "start"]
