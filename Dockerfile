# The portal's image: the web app (default command) and the job worker
# (`node --import tsx scripts/worker.ts`), as docker-compose.yml runs them.
#
#   docker build -t opportunity-portal .
#
# Node.js: the current LTS line. The code is also tested on Node.js 20 (development and CI).
# TypeScript runs through tsx at run time (a runtime dependency), so there is no compile step;
# `npm run build` compiles the stylesheet with the brand settings given as build arguments.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: production dependencies, then the stylesheet and static assets into public/ --------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Runtime dependencies only; Sass and GOV.UK Frontend, which the asset build needs, are among them.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY assets ./assets
# The brand is compiled into the stylesheet: set it with --build-arg BRAND_COLOUR=… and
# BRAND_FONT_STACK=… (see .env.example); left empty, src/config.ts's defaults apply.
ARG BRAND_COLOUR=""
ARG BRAND_FONT_STACK=""
RUN BRAND_COLOUR="$BRAND_COLOUR" BRAND_FONT_STACK="$BRAND_FONT_STACK" npm run build

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
# Application files stay owned by root: the app cannot rewrite its own code or templates.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/public ./public
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY views ./views
COPY migrations ./migrations
COPY data ./data
# DATA_DIR (mail outbox, uploaded documents) is the one place the app writes; mount a volume.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Node's own fetch: the slim image has neither curl nor wget.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/server.ts"]
