import pg from 'pg';
import { RegistryError } from '../core/index.js';
import { isTransientDbError } from './db-errors.js';
import type { Db } from './db.js';

// timestamptz -> Date, int8 (bigserial ids, counts) stays a string: ids are opaque strings in core.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/**
 * Production adapter: a pool on a real PostgreSQL given by DATABASE_URL. With waitMs, a server
 * that refuses connections (restarting, or not up yet when a dialer starts) is waited for that
 * long, as a running dialer waits for it; then, or at once for a permanent refusal (a wrong
 * password, no such database), rejects with REGISTRY_UNAVAILABLE.
 */
export async function connectPostgres(url: string, opts: { max?: number; waitMs?: number; onWait?: (err: unknown) => void } = {}): Promise<Db> {
  // keepAlive and a connect timeout: a server gone silent behind a cut network is noticed, not
  // waited on for minutes of TCP retransmission
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, keepAlive: true, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {
    /* an idle client lost its connection; the next query reconnects */
  });
  const t0 = Date.now();
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    try {
      const c = await pool.connect();
      c.release();
      break;
    } catch (err) {
      if (isTransientDbError(err) && Date.now() - t0 + wait <= (opts.waitMs ?? 0)) {
        if (wait === 250) opts.onWait?.(err);
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      await pool.end().catch(() => {});
      throw new RegistryError('REGISTRY_UNAVAILABLE', `cannot connect to PostgreSQL at ${redactUrl(url)}`, { address: redactUrl(url) }, {
        permanent: false,
        cause: err,
        hint: 'check DATABASE_URL and that the server is running',
      });
    }
  }
  const run = (q: pg.Pool | pg.PoolClient): Db['query'] => async (sql, params) => {
    const r = await q.query(sql, params as unknown[]);
    return { rows: r.rows };
  };
  const db: Db = {
    kind: 'postgres',
    query: run(pool),
    exec: async (sql) => void (await pool.query(sql)),
    async tx(fn) {
      const client = await pool.connect();
      // pg-pool drops its own 'error' listener while a client is checked out: a server that shuts
      // down between two statements (57P01 on a restart) would be an uncaught 'error' event and
      // kill the process. Keep it, and hand the broken client back to be discarded.
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      const inner: Db = {
        kind: 'postgres',
        query: run(client),
        exec: async (sql) => void (await client.query(sql)),
        tx: (f) => f(inner),
        close: async () => {},
      };
      try {
        await client.query('begin');
        const out = await fn(inner);
        await client.query('commit');
        return out;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
  return db;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
