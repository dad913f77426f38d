import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import type { Registry } from 'prom-client';
import { packageFile, ZvonarError } from '../core/index.js';
import { apiRoutes, type WebApp } from './api.js';
import { attachWsHub } from './ws-hub.js';

/** The pages: the operator console and the supervisors' campaigns, each its script (built with the project into dist/web), no CDN. */
const PAGES: Record<string, string> = { '/': 'console.js', '/console': 'console.js', '/campaigns': 'campaigns.js' };
const page = (script: string) => `<!doctype html>
<html lang="ru">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>zvonar</title>
  <link rel="stylesheet" href="/static/style.css">
  <script type="module" src="/static/${script}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** Closed clinic networks: the pages load nothing from elsewhere. */
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

/**
 * The engine's HTTP side: /metrics for Prometheus and /healthz, and with `web` the REST API
 * (/api, api.ts), the ws hub (/ws, ws-hub.ts) and the pages. Rejects with HTTP_UNAVAILABLE when
 * the address cannot be bound (a second dialer on one host takes the same port).
 */
export async function startHttpServer(p: { host: string; port: number; metrics: Registry; web?: WebApp }): Promise<{ url: string; close(): Promise<void> }> {
  const api = p.web ? apiRoutes(p.web) : null;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/metrics') {
      p.metrics
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': p.metrics.contentType });
          res.end(body);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (api && path.startsWith('/api/')) {
      void api(req, res);
      return;
    }
    if (api && req.method === 'GET' && PAGES[path]) {
      res.writeHead(200, { 'content-type': TYPES['.html']!, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
      res.end(page(PAGES[path]));
      return;
    }
    if (api && req.method === 'GET' && /^\/static\/[\w.-]+\.(js|css|svg)$/.test(path)) {
      const file = path.slice('/static/'.length);
      readFile(join(packageFile('dist/web', 'run `npm run build`: it builds the console into dist/web'), file))
        .then((body) => {
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found\n');
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  const ws = p.web ? attachWsHub(server, { auth: p.web.auth, hub: p.web.hub, log: p.web.log }) : null;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const address = `${p.host}:${p.port}`;
      const why = err.code === 'EADDRINUSE' ? 'is in use by another process' : `cannot be bound (${err.code ?? err.message})`;
      ws?.close();
      reject(new ZvonarError('HTTP_UNAVAILABLE', `HTTP address ${address} ${why}`, { address }, {
        permanent: false,
        cause: err,
        hint: 'give each dialer on a host its own ZVONAR_METRICS_PORT (0 picks a free one)',
      }));
    });
    server.listen(p.port, p.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise<void>((resolve) => {
      ws?.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
