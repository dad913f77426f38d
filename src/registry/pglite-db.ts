import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { RegistryError } from '../core/index.js';
import type { Db } from './db.js';

/**
 * Embedded default: PostgreSQL compiled to WASM, stored in a folder (or in memory when dir is
 * undefined). One connection, so transactions are serialised by PGlite itself.
 */
export async function openPglite(dir?: string): Promise<Db> {
  let pgl: PGlite;
  try {
    pgl = await PGlite.create({
      ...(dir ? { dataDir: dir } : {}),
      extensions: { btree_gist },
      // int8 stays a string, as with pg: ids are opaque strings in core.
      parsers: { [types.INT8]: (v: string) => v },
    });
  } catch (err) {
    throw new RegistryError('REGISTRY_UNAVAILABLE', `cannot open the embedded database${dir ? ` in ${dir}` : ''}`, { path: dir }, {
      cause: err,
      hint: 'another zvonar process may hold it; stop it or remove the folder',
    });
  }
  const wrap = (q: PGlite | Transaction): Db => ({
    kind: 'pglite',
    async query(sql, params) {
      const r = await q.query(sql, params as unknown[]);
      return { rows: r.rows as never[] };
    },
    exec: async (sql) => void (await q.exec(sql)),
    tx: (fn) => (q === pgl ? pgl.transaction((t) => fn(wrap(t))) : fn(wrap(q))),
    close: async () => {},
  });
  return { ...wrap(pgl), close: () => pgl.close() };
}
