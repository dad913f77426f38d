/**
 * The one tiny database port. pg (production) and PGlite (embedded default) sit behind it,
 * and every query in src/registry is plain SQL that runs on both.
 */
export interface Db {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction: commit when it resolves, rollback when it throws. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** 'postgres' or 'pglite': for messages only, never for branching SQL. */
  readonly kind: 'postgres' | 'pglite';
}
