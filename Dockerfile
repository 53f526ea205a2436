# certgate: a TLS-terminating MQTT gate in front of ThingsBoard.
# Node 24 runs the TypeScript sources directly, so the image needs no build step.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json config.example.json ./
COPY bin ./bin
COPY src ./src
# The configuration, certificates and the platform password are mounted at run time, e.g.
#   -v ./certgate:/etc/certgate:ro  and  CERTGATE_PLATFORM_PASSWORD from a secret.
# migration.stateFile, when used, belongs on a volume: /var/lib/certgate is writable by the gate.
RUN mkdir -p /var/lib/certgate && chown node:node /var/lib/certgate
VOLUME ["/var/lib/certgate"]
USER node
# 8883: devices (listen.port); 9464: Prometheus, when metrics.port is set to it.
EXPOSE 8883 9464
ENTRYPOINT ["node", "bin/certgate.js"]
CMD ["run", "--config", "/etc/certgate/certgate.json"]
