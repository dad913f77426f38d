/**
 * Leasing on real PostgreSQL: how many contacts a second `leaseDueContacts` hands out, in leases
 * of 30, from a campaign of 10,000 contacts and from one of 1,000,000 (callees spread over
 * Russia's eleven zones, so at the chosen moment some zones are outside their calling hours),
 * the plan of one lease at 1M, and pg-boss (the queue many Node.js projects reach for) fetching
 * 30 jobs at a time from a backlog of 1,000,000 in the same database. Needs
 * ZVONAR_BENCH_DATABASE_URL (or ZVONAR_TEST_DATABASE_URL); a fresh database is made and dropped.
 * The rows are written with generate_series (loading them is the import bench's subject).
 */
import pg from 'pg';
import { NO_DATABASE, withBenchDatabase } from './bench-database.js';
import PgBoss from 'pg-boss';
import { leaseRules } from '../src/dialer/index.js';
import { createCampaign, leaseDueContacts, migrate, type Db } from '../src/registry/index.js';
import { connectPostgres } from '../src/registry/pg-db.js';

const ZONES = [
  'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk', 'Asia/Krasnoyarsk',
  'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok', 'Asia/Magadan', 'Asia/Kamchatka',
];
const HOURS = { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null } as const;
/** Tuesday 12:00 in Moscow: Kaliningrad..Krasnoyarsk inside their hours, Irkutsk..Kamchatka past 20:00 (or near it) */
const NOW = new Date('2026-12-08T09:00:00Z');
const BATCH = 30;
const SIZES = [10_000, 1_000_000];
/** each measurement: leases of 30 for this long, or this many, whichever comes first */
const MEASURE_MS = 4000;
const MAX_LEASES = 200;

type Figures = Record<string, number | string>;

export async function benchLeasing(): Promise<{ name: string; figures: Figures; lines?: string[] }> {
  const name = 'leasing: leaseDueContacts, 30 at a time, on PostgreSQL';
  return (await withBenchDatabase('lease', (url) => leasing(name, url))) ?? { name, figures: NO_DATABASE };
}

async function leasing(name: string, url: string): Promise<{ name: string; figures: Figures; lines: string[] }> {
  const figures: Figures = {};
  const lines: string[] = [];
  const db = await connectPostgres(url, { max: 2 });
  try {
    await migrate(db);
    const perSecond: number[] = [];
    for (const size of SIZES) {
      const id = await fill(db, size);
      const { rate, msPerLease } = await measure(db, id);
      perSecond.push(rate);
      figures[`leasing at ${label(size)}, contacts/s`] = Math.round(rate);
      figures[`leasing at ${label(size)}, ms per lease of ${BATCH}`] = Number(msPerLease.toFixed(2));
      if (size === SIZES.at(-1)) figures[`plan at ${label(size)}`] = await plan(db, id);
    }
    figures[`leasing: ${label(SIZES[1]!)} / ${label(SIZES[0]!)} (target >= 0.8)`] = Number((perSecond[1]! / perSecond[0]!).toFixed(2));
    const boss = await pgBoss(url, SIZES.at(-1)!);
    figures[`pg-boss fetch from a ${label(SIZES.at(-1)!)} backlog, jobs/s`] = Math.round(boss);
    figures['leasing vs pg-boss (target >= 100x)'] = `${(perSecond[1]! / boss).toFixed(1)}x`;
    lines.push(
      `leasing: ${Math.round(perSecond[1]!)} contacts/s at ${label(SIZES[1]!)}, ${Math.round(perSecond[0]!)} contacts/s at ${label(SIZES[0]!)}, ratio ${(perSecond[1]! / perSecond[0]!).toFixed(2)}`,
      `leasing vs pg-boss: ${(perSecond[1]! / boss).toFixed(1)}×`,
    );
  } finally {
    await db.close();
  }
  return { name, figures, lines };
}

const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

/** A campaign of `size` due contacts, one patient each, zones round-robin. */
async function fill(db: Db, size: number): Promise<string> {
  const id = `lease-${size}`;
  await createCampaign(db, {
    id, name: id, kind: 'cold', dialogId: 'd', dialogVersion: '1',
    rules: { callingHours: HOURS, maxAttempts: 4, holdSlots: false, holdMs: 0, retryDelaysMs: {}, technicalRetryMs: 60_000, specialty: 'therapist' },
  });
  const base = (await db.query<{ n: string }>(`select coalesce(max(id), 0) as n from patient`)).rows[0]!.n;
  for (let from = 0; from < size; from += 200_000) {
    const n = Math.min(200_000, size - from);
    await db.query(
      `insert into patient (last_name, first_name, phone, time_zone, tags)
       select 'Иванова', 'Анна', '+79' || lpad((($3::bigint + g))::text, 9, '0'), ($2::text[])[1 + g % cardinality($2::text[])], '{}'
       from generate_series($1::int, $1::int + $4::int - 1) g`,
      [from, ZONES, Number(base) + from, n],
    );
  }
  await db.query(
    `insert into campaign_contact (campaign_id, patient_id, phone, priority, next_attempt_at)
     select $1, p.id, p.phone, 100, $2::timestamptz - (p.id % 1440) * interval '1 minute' from patient p where p.id > $3`,
    [id, NOW, base],
  );
  // as a list imported hours before a campaign starts: hint bits set, visibility map and statistics current
  await db.query('vacuum analyze campaign_contact, patient');
  await db.query('checkpoint');
  return id;
}

/** Contacts on a call at once: leased and not yet closed (the dialer's channels). */
const IN_FLIGHT = 300;

/**
 * Leases of 30, each its own transaction as the dialer's, for MEASURE_MS or MAX_LEASES. As in the
 * dialer, a leased contact's call ends and the contact moves on (here: due again in a day), so
 * about IN_FLIGHT contacts are leased at any time; closing them is not timed.
 */
async function measure(db: Db, campaignId: string): Promise<{ rate: number; msPerLease: number }> {
  const rules = leaseRules({ callingHours: HOURS });
  const lease = () => leaseDueContacts(db, { campaignId, now: NOW, limit: BATCH, leaseMs: 600_000, owner: 'bench', rules });
  const inFlight: string[][] = [];
  const close = async (ids: string[]) => {
    inFlight.push(ids);
    if (inFlight.length * BATCH <= IN_FLIGHT) return;
    await db.query(`update campaign_contact set next_attempt_at = next_attempt_at + interval '1 day', lease_owner = null, lease_until = null where id = any($1::bigint[])`, [inFlight.shift()]);
  };
  await close((await lease()).map((l) => l.id)); // warm the cache and the plan
  let leased = 0;
  let leases = 0;
  let ms = 0;
  while (ms < MEASURE_MS && leases < MAX_LEASES) {
    const t = performance.now();
    const got = await lease();
    ms += performance.now() - t;
    leased += got.length;
    leases++;
    await close(got.map((l) => l.id));
  }
  if (leased < leases * BATCH) throw new Error(`leasing bench: ${leased} leased in ${leases} leases of ${BATCH}; the population ran dry`);
  return { rate: leased / (ms / 1000), msPerLease: ms / leases };
}

/** The plan of one lease, in a rolled-back transaction: its node types, outermost first. */
async function plan(db: Db, campaignId: string): Promise<string> {
  const rules = leaseRules({ callingHours: HOURS });
  let text = '';
  const rollback = new Error('rollback');
  await db.tx(async (t) => {
    const spy: Db = {
      ...t,
      query: (async (sql: string, params?: unknown[]) => {
        const r = await t.query<{ 'QUERY PLAN': string }>(`explain (analyze, costs off, timing off, summary on) ${sql}`, params);
        text = r.rows.map((x) => x['QUERY PLAN']).join('\n');
        return { rows: [] };
      }) as Db['query'],
    };
    await leaseDueContacts(spy, { campaignId, now: NOW, limit: BATCH, leaseMs: 600_000, owner: 'plan', rules });
    throw rollback;
  }).catch((err: unknown) => {
    if (err !== rollback) throw err;
  });
  if (process.env.ZVONAR_BENCH_PLAN) process.stderr.write(`${text}\n`);
  // every scan, with the index or table it reads and rows x loops; and the statement's time
  const scans = [...text.matchAll(/((?:Seq|Index Only|Index|Bitmap Heap) Scan)(?: using (\w+))? on (\w+)[^(]*\(actual rows=(\d+) loops=(\d+)\)/g)]
    .map((m) => `${m[1]} ${m[2] ?? m[3]} ${m[4]}x${m[5]}`);
  const sorted = Math.max(0, ...[...text.matchAll(/Sort \(actual rows=\d+ loops=\d+\)\n(?:.*\n){2}\s*->\s+\w[^(]*\(actual rows=(\d+)/g)].map((m) => Number(m[1])));
  const ms = /Execution Time: ([\d.]+) ms/.exec(text)?.[1];
  return `${scans.join(', ')}; largest sort input ${sorted} rows; ${ms} ms`;
}

/** pg-boss 10 in the same database: jobs per second fetched 30 at a time from a backlog of `size`. */
async function pgBoss(url: string, size: number): Promise<number> {
  const boss = new PgBoss({ connectionString: url, schema: 'pgboss', supervise: false, schedule: false, migrate: true });
  boss.on('error', () => {});
  await boss.start();
  try {
    await boss.createQueue('bench');
    const jobs = Array.from({ length: 10_000 }, (_, i) => ({ name: 'bench', data: { contact: i } }));
    for (let n = 0; n < size; n += jobs.length) await boss.insert(jobs);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query('analyze');
    await db.end();
    await boss.fetch('bench', { batchSize: BATCH });
    let fetched = 0;
    let fetches = 0;
    const t = performance.now();
    while (performance.now() - t < MEASURE_MS && fetches < MAX_LEASES) {
      fetched += (await boss.fetch('bench', { batchSize: BATCH }))?.length ?? 0;
      fetches++;
    }
    return fetched / ((performance.now() - t) / 1000);
  } finally {
    await boss.stop({ graceful: false, wait: false });
  }
}
