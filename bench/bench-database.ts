import pg from 'pg';

/**
 * A fresh database for one registry benchmark on the PostgreSQL server of
 * ZVONAR_BENCH_DATABASE_URL (or ZVONAR_TEST_DATABASE_URL): `fn` gets its URL, and the database is
 * dropped after. Null, running nothing, when no server is named.
 */
export async function withBenchDatabase<T>(name: string, fn: (url: string) => Promise<T>): Promise<T | null> {
  const url = process.env.ZVONAR_BENCH_DATABASE_URL ?? process.env.ZVONAR_TEST_DATABASE_URL;
  if (!url) return null;
  const dbName = `zvonar_bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  try {
    const u = new URL(url);
    u.pathname = `/${dbName}`;
    return await fn(u.toString());
  } finally {
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

export const NO_DATABASE = { skipped: 'set ZVONAR_BENCH_DATABASE_URL to a PostgreSQL server' };
