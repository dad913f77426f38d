import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RegistryError } from '../core/index.js';
import type { Db } from './db.js';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered SQL files, e.g. 0003-holds.sql, in version order. */
export function listMigrations(dir = DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}-[a-z0-9-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(dir + f, 'utf8') }));
}

/**
 * Applies the migrations not yet applied, each in its own transaction. Each inserts its row
 * first: a second process migrating at the same moment blocks on that row's key, and when the
 * first commits it sees the unique violation and skips that migration.
 * Returns the names applied by this call.
 */
export async function migrate(db: Db, migrations = listMigrations()): Promise<string[]> {
  await db.query(`
    create table if not exists schema_migration (
      version int primary key,
      name text not null,
      applied_at timestamptz not null default now())`).catch(async (err: unknown) => {
    // Two processes creating the table at once: one loses on the catalogue's unique index.
    if (!isUniqueViolation(err)) throw err;
  });
  const applied: string[] = [];
  for (const m of migrations) {
    try {
      const ran = await db.tx(async (t) => {
        const { rows } = await t.query(
          `insert into schema_migration (version, name) values ($1, $2) on conflict (version) do nothing returning version`,
          [m.version, m.name],
        );
        if (rows.length === 0) return false;
        await t.exec(m.sql);
        return true;
      });
      if (ran) applied.push(m.name);
    } catch (err) {
      if (isUniqueViolation(err)) continue;
      throw new RegistryError('REGISTRY_MIGRATION', `migration ${m.name} failed: ${(err as Error).message}`, { file: m.name }, { cause: err });
    }
  }
  return applied;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
