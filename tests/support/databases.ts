import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { migrate, type Db } from '../../src/registry/index.js';
import { openPglite } from '../../src/registry/pglite-db.js';
import { connectPostgres } from '../../src/registry/pg-db.js';

/**
 * The registries a test file runs against: PGlite always, and a real PostgreSQL when
 * ZVONAR_TEST_DATABASE_URL is set (CI sets it). Each call makes a new, migrated, empty
 * database, so test files never see each other's rows.
 */
export interface TestDatabase {
  name: 'pglite' | 'postgres';
  /** a new database with the schema in place */
  open(): Promise<Db>;
  /** a new database with no schema at all */
  openEmpty(): Promise<Db>;
  /**
   * A second connection to the database `db` opened (as a second dialer process has): on
   * PostgreSQL its own pool, so the two really race; PGlite has one connection, so `db` itself.
   */
  reopen(db: Db): Promise<Db>;
}

const urls = new WeakMap<Db, string>();

export const databases: TestDatabase[] = [
  { name: 'pglite', open: () => migrated(openPglite()), openEmpty: () => openPglite(), reopen: async (db) => ({ ...db, close: async () => {} }) },
  ...(process.env.ZVONAR_TEST_DATABASE_URL
    ? [{ name: 'postgres' as const, open: () => migrated(openFreshPostgres()), openEmpty: openFreshPostgres, reopen: (db: Db) => connectPostgres(urls.get(db)!) }]
    : []),
];

async function migrated(opening: Promise<Db>): Promise<Db> {
  const db = await opening;
  await migrate(db);
  return db;
}

async function openFreshPostgres(): Promise<Db> {
  const url = new URL(process.env.ZVONAR_TEST_DATABASE_URL!);
  const name = `zvonar_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  url.pathname = `/${name}`;
  const db = await connectPostgres(url.toString());
  const close = db.close;
  const opened: Db = {
    ...db,
    async close() {
      await close();
      const a = new pg.Client({ connectionString: process.env.ZVONAR_TEST_DATABASE_URL! });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
  urls.set(opened, url.toString());
  return opened;
}
