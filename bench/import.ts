/**
 * `zvonar load` of a 100,000-row contact list (Windows-1251, semicolons, as Excel saves a Russian
 * MIS export; 1 row in 100 with a bad phone), on PGlite in a folder and, when
 * ZVONAR_BENCH_DATABASE_URL (or ZVONAR_TEST_DATABASE_URL) names a PostgreSQL server, on a fresh
 * database there. Each load runs in a child process, so its peak RSS is its own, on a registry
 * already migrated (PGlite's first open, an initdb in WASM, alone takes ~20 s and ~700 MiB).
 * Measured on 2 cores shared with other work (load average 5-11, so figures vary by 1.5x):
 *   before (one insert per row; csv-parse plus an Intl.DateTimeFormat per row; the file as UTF-8
 *   with commas, all it could read): PGlite 97-193 s, peak RSS 840-960 MiB; PostgreSQL 66-78 s,
 *   385-430 MiB; reading and checking the file alone 11-14 s.
 *   after (1,000 rows a statement): PGlite 20-22 s, 576-618 MiB (opening PGlite alone peaks at
 *   590-780 MiB: its WASM heap); PostgreSQL 9-16 s, 250-330 MiB; the file alone 1.6-4.6 s, of
 *   which libphonenumber's validation is about half.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { NO_DATABASE, withBenchDatabase } from './bench-database.js';
import { readCampaign } from '../src/app/index.js';

const ROWS = 100_000;
const CHILD = '--import-child';

function contactList(rows: number): Buffer {
  const lines = ['external_id;last_name;first_name;middle_name;birth_year;phone;time_zone;tags;persona'];
  const last = ['Иванова', 'Петров', 'Смирнова', 'Кузнецов', 'Попова', 'Соколов'];
  const first = ['Анна', 'Сергей', 'Ольга', 'Николай', 'Елена', 'Дмитрий'];
  for (let i = 0; i < rows; i++) {
    const phone = i % 100 === 99 ? '12345' : `+7900${String(i).padStart(7, '0')}`;
    lines.push(`MIS-${i};${last[i % 6]};${first[i % 6]};Петровна;${1940 + (i % 60)};${phone};Europe/Moscow;adult;agree`);
  }
  // windows-1251: every Cyrillic letter is one byte from 0xC0 (А) to 0xFF (я), with Ё/ё apart.
  const text = `${lines.join('\r\n')}\r\n`;
  const bytes = Buffer.alloc(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[i] = c < 0x80 ? c : c >= 0x410 && c <= 0x44f ? c - 0x410 + 0xc0 : c === 0x401 ? 0xa8 : c === 0x451 ? 0xb8 : 0x3f;
  }
  return bytes;
}

export async function benchImport(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'zvonar-bench-import-'));
  const figures: Record<string, number | string> = { rows: ROWS };
  try {
    const csv = join(dir, 'contacts.csv');
    writeFileSync(csv, contactList(ROWS));
    const campaign = join(dir, 'campaign.yaml');
    writeFileSync(campaign, [
      'id: bench-import', 'name: bench import', 'kind: cold', `dialog: ${resolve('dialogs/dispanserization-invite.yaml')}`, `contacts: ${csv}`,
      'slots: { specialty: therapist, resources: [t-1, t-2], days: 5, from: "08:00", to: "20:00", minutes: 20 }', '',
    ].join('\n'));
    figures['file, MiB'] = Number((statSync(csv).size / 2 ** 20).toFixed(1));
    const t = performance.now();
    readCampaign(campaign);
    figures['read and check the file, s'] = Number(((performance.now() - t) / 1000).toFixed(1));
    figures['import: PGlite'] = child(campaign, { dataDir: join(dir, 'pglite') });
    const url = process.env.ZVONAR_BENCH_DATABASE_URL ?? process.env.ZVONAR_TEST_DATABASE_URL;
    if (url) {
      const name = `zvonar_bench_${process.pid}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create database ${name}`);
      try {
        const u = new URL(url);
        u.pathname = `/${name}`;
        figures['import: PostgreSQL'] = child(campaign, { url: u.toString() });
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: `import: zvonar load of a ${ROWS.toLocaleString('en-US')}-row contact list (windows-1251, ';')`, figures };
}

function child(campaign: string, database: { dataDir?: string; url?: string }): string {
  const ready = spawnSync(process.execPath, [fileURLToPath(import.meta.url), CHILD, '--migrate-only', JSON.stringify(database)], { encoding: 'utf8' });
  if (ready.status !== 0) throw new Error(`import bench child failed: ${ready.stderr}`);
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), CHILD, campaign, JSON.stringify(database)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`import bench child failed: ${r.stderr}`);
  const { seconds, rssMiB, summary } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; rssMiB: number; summary: string };
  return `${seconds.toFixed(1)} s, peak RSS ${rssMiB} MiB (${summary})`;
}

if (process.argv[2] === CHILD) {
  const { Config } = await import('../src/config/index.js');
  const { runLoad, runMigrate } = await import('../src/app/index.js');
  const [campaign, database] = process.argv.slice(3) as [string, string];
  const cfg = Config.parse({
    clinic: { name: 'bench' }, telephony: { kind: 'sim' }, trunk: { from: '+78632000000' }, speech: { kind: 'embedded' },
    database: JSON.parse(database), log: { level: 'silent' },
  });
  if (campaign === '--migrate-only') {
    await runMigrate(cfg);
    process.exit(0);
  }
  const lines: string[] = [];
  const t = performance.now();
  await runLoad(cfg, campaign, (l) => lines.push(l));
  const seconds = (performance.now() - t) / 1000;
  const rssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify({ seconds, rssMiB, summary: lines[0]!.replace(/^campaign [^:]+: /, '') })}\n`);
}

const MILLION = 1_000_000;
const CHILD_1M = '--import-1m-child';

/**
 * `zvonar contacts import` of a 1,000,000-row list (Windows-1251, ';', 1 row in 100 with a bad
 * phone) into a campaign on PostgreSQL, in a child process: contacts imported per second (target
 * >= 20,000/s) and the child's peak RSS. Needs ZVONAR_BENCH_DATABASE_URL (or ZVONAR_TEST_DATABASE_URL).
 */
export async function benchImportMillion(): Promise<{ name: string; figures: Record<string, number | string>; lines?: string[] }> {
  const name = `import: zvonar contacts import of a ${MILLION.toLocaleString('en-US')}-row list on PostgreSQL`;
  return (await withBenchDatabase('1m', async (url) => {
    const dir = mkdtempSync(join(tmpdir(), 'zvonar-bench-import-1m-'));
    try {
      const csv = join(dir, 'contacts.csv');
      writeFileSync(csv, contactList(MILLION));
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), CHILD_1M, csv, url], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      if (r.status !== 0) throw new Error(`import bench child failed: ${r.stderr}`);
      const { seconds, rssMiB, summary } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; rssMiB: number; summary: string };
      const imported = Number(/^imported (\d+)/.exec(summary)![1]);
      return {
        name,
        figures: {
          'file, MiB': Number((statSync(csv).size / 2 ** 20).toFixed(1)),
          'import: contacts/s (target >= 20,000)': Math.round(imported / seconds),
          'wall time, s': Number(seconds.toFixed(1)),
          'peak RSS, MiB': rssMiB,
          summary,
        },
        lines: [`import: ${Math.round(imported / seconds)} contacts/s`],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })) ?? { name, figures: NO_DATABASE };
}

if (process.argv[2] === CHILD_1M) {
  const { Config } = await import('../src/config/index.js');
  const { runContactsImport } = await import('../src/app/index.js');
  const { createCampaign, migrate } = await import('../src/registry/index.js');
  const { connectPostgres } = await import('../src/registry/pg-db.js');
  const { defaultRules } = await import('../src/dialer/index.js');
  const [csv, url] = process.argv.slice(3) as [string, string];
  const db = await connectPostgres(url);
  await migrate(db);
  await createCampaign(db, { id: 'bench-1m', name: 'bench', kind: 'cold', dialogId: 'd', dialogVersion: '1', rules: defaultRules('cold') });
  await db.close();
  const cfg = Config.parse({ clinic: { name: 'bench' }, telephony: { kind: 'sim' }, trunk: { from: '+78632000000' }, speech: { kind: 'embedded' }, database: { url }, log: { level: 'silent' } });
  const t = performance.now();
  const r = await runContactsImport(cfg, csv, { campaignId: 'bench-1m' });
  const seconds = (performance.now() - t) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, rssMiB: Math.round(process.resourceUsage().maxRSS / 1024), summary: r.lines[0] })}\n`);
}
