import pg from 'pg';
import { RegistryError } from '../core/index.js';
import type { Db } from './db.js';

// timestamptz -> Date, int8 (bigserial ids, counts) stays a string: ids are opaque strings in core.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/** Production adapter: a pool on a real PostgreSQL given by DATABASE_URL. */
export async function connectPostgres(url: string, opts: { max?: number } = {}): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  pool.on('error', () => {
    /* an idle client lost its connection; the next query reconnects */
  });
  try {
    const c = await pool.connect();
    c.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new RegistryError('REGISTRY_UNAVAILABLE', `cannot connect to PostgreSQL at ${redactUrl(url)}`, { address: redactUrl(url) }, {
      permanent: false,
      cause: err,
      hint: 'check DATABASE_URL and that the server is running',
    });
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
        client.release();
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
