# zvonar engine. Build: docker build -t zvonar .   Run: see docker-compose.yml
FROM node:20-bookworm-slim AS build
# node-gyp builds the native RTP I/O thread (binding.gyp, src/native) during npm ci
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json binding.gyp ./
COPY src/native ./src/native
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# the embedded speech server's engines: RHVoice (non-free) and espeak-ng speak, pocketsphinx hears closed answers
RUN sed -i -E '/^Components:/{/non-free( |$)/!s/$/ non-free/}' /etc/apt/sources.list.d/debian.sources \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends rhvoice rhvoice-russian rhvoice-english librhvoice5 espeak-ng python3 python3-pocketsphinx pocketsphinx-en-us \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/build/Release/rtp_io.node ./build/Release/rtp_io.node
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
COPY dialogs ./dialogs
COPY config ./config
# the embedded registry (PGlite) and the demo write under ./data; production sets DATABASE_URL
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# /metrics
EXPOSE 9464
ENTRYPOINT ["node", "bin/zvonar.js"]
CMD ["run"]
