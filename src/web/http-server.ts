import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ZvonarError } from '../core/index.js';

/**
 * The engine's HTTP side: /metrics for Prometheus and /healthz. REST, the operator console
 * and supervisor pages are later issues and will mount here. Rejects with HTTP_UNAVAILABLE when
 * the address cannot be bound (a second dialer on one host takes the same port).
 */
export async function startHttpServer(p: { host: string; port: number; metrics: Registry }): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
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
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const address = `${p.host}:${p.port}`;
      const why = err.code === 'EADDRINUSE' ? 'is in use by another process' : `cannot be bound (${err.code ?? err.message})`;
      reject(new ZvonarError('HTTP_UNAVAILABLE', `metrics address ${address} ${why}`, { address }, {
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
