import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_HOUR, defaultRules } from '../../src/dialer/index.js';
import { loadScript } from '../../src/dialog/index.js';
import { addSlots, createCampaign, enrolPatients, migrate, upsertPatients, type Db } from '../../src/registry/index.js';
import { connectPostgres } from '../../src/registry/pg-db.js';
import type { PersonaName } from '../../src/sim/index.js';
import { createPrivatePostgres, postgresBinDir, type PrivatePostgres } from '../support/private-postgres.js';
import { seededRandom } from '../support/random.js';

/**
 * Issue 7's acceptance fault test. Three `zvonar run` processes dial one campaign on a real
 * PostgreSQL; ten times, at random moments, one of them is killed with SIGKILL (no clean-up of
 * any kind) and a replacement is started; once, PostgreSQL itself is restarted under them. Then
 * the dialers are stopped with SIGTERM and a last `zvonar run --until-idle` closes what the killed
 * ones left open. The registry must then hold no patient booked twice, no slot booked twice, no
 * attempt left open, no hold of a finished call, and every contact finished or due again.
 *
 * The moments are drawn from a seeded generator; the seed is printed, and ZVONAR_FAULT_SEED
 * replays a run. ZVONAR_FAULT_LOG_LEVEL=debug gives the dialers' stacks (printed on failure).
 */

// It needs a PostgreSQL server of its own, because it restarts it: neither PGlite nor the shared
// server of ZVONAR_TEST_DATABASE_URL (other test files' databases live there) can be restarted.
// CI installs Debian's postgresql (.ci/run); elsewhere, without a server binary, it is skipped.
const PG_BIN = postgresBinDir();
const SKIP_REASON = 'no PostgreSQL server binary under /usr/lib/postgresql/*/bin (apt-get install postgresql)';
if (!PG_BIN) console.warn(`tests/fault/dialers-kill.test.ts skipped: ${SKIP_REASON}`);

const KILLS = 10;
const RESTART_AFTER_KILL = 5;
/** gaps between kills, uniform in this range: ten kills within about a minute, while calls are under way */
const KILL_GAP_MS: [number, number] = [3_000, 8_000];
/** SIGTERM lets active calls finish; the longest scripted call here is about 20 s */
const GRACEFUL_STOP_MS = 45_000;
/** the last run waits out the dead dialers' leases (3 s), closes their attempts and dials what is due */
const FINAL_RUN_MS = 60_000;

// Enough calls to keep three dialers of six channels busy through the ten kills (about a minute).
const CONTACTS = 80;
const SLOTS = 45;
// Mostly people who book, so that bookings are many and the last slots are fought over (60 want one of 45).
const MIX: [PersonaName, number][] = [['agree', 52], ['agree-second', 8], ['decline', 6], ['busy', 4], ['silent', 5], ['hang-up', 5]];

const SCRIPT = loadScript('dialogs/dispanserization-invite.yaml');


interface Dialer {
  name: string;
  child: ChildProcess;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the test killed or stopped it: its exit is expected */
  expected: boolean;
  exited: boolean;
  /** it printed its first line: signal handlers are in place, so SIGTERM is a graceful stop */
  ready: Promise<void>;
}

describe.skipIf(!PG_BIN)('three dialers on one campaign, one SIGKILLed ten times, PostgreSQL restarted once', () => {
  let pgServer: PrivatePostgres;
  let db: Db;
  const tmp = mkdtempSync(join(tmpdir(), 'zvonar-fault-'));
  const all: Dialer[] = [];

  beforeAll(async () => {
    pgServer = await createPrivatePostgres();
    await pgServer.start();
  }, 60_000);

  afterAll(async () => {
    for (const d of all) if (!d.exited) d.child.kill('SIGKILL');
    await Promise.all(all.map((d) => d.exit));
    await db?.close().catch(() => {});
    await pgServer?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('leaves no patient or slot booked twice, no attempt open, and every contact finished or due again', async ({ onTestFailed }) => {
    const seed = Number(process.env.ZVONAR_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const t0 = Date.now();
    const at = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
    const timeline: string[] = [`seed ${seed} (replay: ZVONAR_FAULT_SEED=${seed})`];
    const note = (l: string) => timeline.push(`${at()} ${l}`);
    console.log(`dialers-kill: seed ${seed} (replay with ZVONAR_FAULT_SEED=${seed})`);
    onTestFailed(() => {
      console.log(`dialers-kill timeline:\n  ${timeline.join('\n  ')}`);
      for (const d of all) console.log(`--- ${d.name} output ---\n${d.output.join('').slice(-6_000)}`);
      console.log(`--- private PostgreSQL log ---\n${pgServer.log()}`);
    });

    // The campaign, seeded with the registry's own functions.
    db = await connectPostgres(pgServer.url, { max: 2 });
    await migrate(db);
    const personas = MIX.flatMap(([p, n]) => Array<PersonaName>(n).fill(p));
    expect(personas).toHaveLength(CONTACTS);
    const phones = personas.map((_, i) => `+7900777${String(i).padStart(4, '0')}`);
    const now = new Date();
    const campaign = await createCampaign(db, {
      id: 'fault-kill', name: 'fault: dialers killed', kind: 'cold', dialogId: SCRIPT.id, dialogVersion: SCRIPT.version,
      // The default retry ladder (minutes to days): within the run only INTERRUPTED calls, which are
      // due again at once, are dialled again, so the last --until-idle run ends soon.
      rules: { ...defaultRules('cold'), callingHours: ANY_HOUR, holdSlots: true },
    });
    const patientIds = await upsertPatients(db, phones.map((phone) => ({
      lastName: 'Иванова', firstName: 'Анна', middleName: 'Петровна', birthYear: 1961, phone, timeZone: 'Europe/Moscow', tags: [],
    })));
    await enrolPatients(db, { campaignId: campaign.id, patientIds, at: now });
    const tomorrow = new Date(now.getTime() + 86_400_000);
    tomorrow.setUTCHours(8, 0, 0, 0);
    await addSlots(db, Array.from({ length: SLOTS }, (_, i) => ({
      resource: 'dr-fault', specialty: 'therapist',
      startsAt: new Date(tomorrow.getTime() + i * 20 * 60_000), endsAt: new Date(tomorrow.getTime() + (i + 1) * 20 * 60_000),
    })));

    // JSON is YAML: the configuration every dialer reads.
    const cfg = join(tmp, 'zvonar.yaml');
    writeFileSync(cfg, JSON.stringify({
      clinic: { name: 'поликлиника номер семь', phone: '+78632000000', timeZone: 'Europe/Moscow' },
      log: { level: 'warn' },
      metrics: { host: '127.0.0.1', port: 0 },
      telephony: { kind: 'sim', answerDelayMs: 100, personas: Object.fromEntries(phones.map((ph, i) => [ph, personas[i]])) },
      // one trunk, shared by the three dialers through the registry (src/registry/trunks.ts): six
      // channels each, as when every process had its own
      trunk: { from: '+78632000000', cps: 20, maxChannels: 18, ringTimeoutMs: 23_000 },
      speech: { kind: 'embedded', voices: ['modem'], recognizer: 'none' },
      dialer: { maxCallMs: 60_000, leaseMs: 3_000, heartbeatMs: 500, pollMs: 200, registryRetryMs: 20_000 },
    }, null, 2));

    const env = { ...process.env, DATABASE_URL: pgServer.url, ZVONAR_METRICS_PORT: '0', ZVONAR_LOG_LEVEL: process.env.ZVONAR_FAULT_LOG_LEVEL ?? 'warn' };
    let started = 0;
    const unexpected: string[] = [];
    const startDialer = (extra: string[] = []): Dialer => {
      const name = `dialer-${++started}${extra.length ? ' (final, --until-idle)' : ''}`;
      // --report-on-signal: a dialer that hangs is asked (SIGUSR2) for a report of what it waits on
      const child = spawn('node', ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${tmp}`, 'bin/zvonar.js',
        '-c', cfg, 'run', '--campaign', campaign.id, ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const d: Dialer = { name, child, output: [], expected: false, exited: false, exit: undefined!, ready: undefined! };
      d.ready = new Promise((resolve) => child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        d.output.push(s);
        if (s.includes('zvonar run: campaign')) resolve();
      }));
      child.stderr!.setEncoding('utf8').on('data', (s: string) => d.output.push(s));
      d.exit = new Promise((resolve) => child.once('exit', (code, signal) => {
        d.exited = true;
        note(`${name} (pid ${child.pid}) exited: code ${code}, signal ${signal}`);
        if (!d.expected) unexpected.push(`${name} exited by itself (code ${code}, signal ${signal}):\n${d.output.join('').slice(-3_000)}`);
        resolve({ code, signal });
      }));
      all.push(d);
      note(`${name} started (pid ${child.pid})`);
      return d;
    };
    /** Records what a dialer that will not stop was doing (its open attempts, its Node report), then kills it. */
    const hung = async (d: Dialer, why: string) => {
      const open = await db.query(
        `select a.id, a.started_at, a.answered_at, a.slot_id from attempt a join dialer r on r.id = a.dialer_id
         where r.pid = $1 and a.disposition is null`, [d.child.pid],
      ).then((r) => JSON.stringify(r.rows), (err: Error) => `(query failed: ${err.message})`);
      d.child.kill('SIGUSR2');
      await sleep(2_000);
      unexpected.push(`${d.name} ${why}; its open attempts: ${open}\n${nodeReport(tmp, d.child.pid!)}\n${d.output.join('').slice(-2_000)}`);
      d.child.kill('SIGKILL');
      await d.exit;
    };
    const live = new Set<Dialer>();
    const topUp = () => {
      for (const d of live) if (d.exited) live.delete(d);
      while (live.size < 3) live.add(startDialer());
    };
    topUp();

    // Ten kills at random moments, each followed by a replacement; PostgreSQL restarted once.
    for (let k = 1; k <= KILLS; k++) {
      await sleep(KILL_GAP_MS[0] + random() * (KILL_GAP_MS[1] - KILL_GAP_MS[0]));
      if (unexpected.length > 5) {
        note(`${unexpected.length} dialers exited by themselves: no more kills`);
        break;
      }
      topUp(); // a dialer that died by itself is replaced before the next victim is drawn
      const alive = [...live].filter((d) => !d.exited);
      const victim = alive[Math.floor(random() * alive.length)]!;
      victim.expected = true;
      victim.child.kill('SIGKILL');
      note(`kill ${k}: SIGKILL ${victim.name}`);
      await victim.exit;
      live.delete(victim);
      topUp();
      if (k === RESTART_AFTER_KILL) {
        await sleep(random() * 2_000);
        note('restarting PostgreSQL (pg_ctl restart -m fast)');
        await pgServer.restart();
        note('PostgreSQL is back');
      }
    }

    // A graceful stop of the survivors: no new calls, active calls finish. A replacement that has
    // not installed its handlers yet would die of SIGTERM, so it is given time to start first.
    await Promise.race([Promise.all([...live].map((d) => Promise.race([d.ready, d.exit]))), sleep(20_000)]);
    for (const d of live) {
      d.expected = true;
      d.child.kill('SIGTERM');
    }
    note('SIGTERM to the three dialers');
    const stopped = await Promise.race([Promise.all([...live].map((d) => d.exit)).then(() => true), sleep(GRACEFUL_STOP_MS).then(() => false)]);
    if (!stopped) for (const d of live) if (!d.exited) await hung(d, `did not stop within ${GRACEFUL_STOP_MS} ms of SIGTERM`);
    for (const d of live) {
      const { code } = await d.exit;
      if (code !== 0 && !unexpected.some((u) => u.startsWith(`${d.name} `))) unexpected.push(`${d.name} exited with code ${code} after SIGTERM:\n${d.output.join('').slice(-3_000)}`);
    }

    // The last dialer closes what the killed ones left open, then stops once nothing is due now.
    const last = startDialer(['--until-idle']);
    last.expected = true;
    const finished = await Promise.race([last.exit.then(() => true), sleep(FINAL_RUN_MS).then(() => false)]);
    if (!finished) await hung(last, `did not finish within ${FINAL_RUN_MS} ms`);
    const { code: lastCode } = await last.exit;
    note(`end of run (${lastCode === 0 ? 'final run exited 0' : `final run exited ${lastCode}`})`);

    // What the registry holds now.
    const q = async <R>(sql: string, params: unknown[] = [campaign.id]) => (await db.query<R>(sql, params)).rows;
    const dispositions = await q<{ disposition: string | null; n: number }>(
      `select disposition, count(*)::int as n from attempt where campaign_id = $1 group by disposition order by disposition`);
    const contacts = await q<{ state: string; due: boolean; leased: boolean; n: number }>(
      `select state, next_attempt_at is not null as due, lease_until is not null and lease_until >= now() as leased, count(*)::int as n
       from campaign_contact where campaign_id = $1 group by 1, 2, 3 order by 1, 2, 3`);
    const [totals] = await q<{ attempts: number; bookings: number; status: string }>(
      `select (select count(*)::int from attempt where campaign_id = $1) as attempts,
              (select count(*)::int from booking where campaign_id = $1 and status <> 'cancelled') as bookings,
              (select status from campaign where id = $1) as status`);
    const summary = [
      `seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s, ${started} dialer processes, campaign ${totals!.status}`,
      `attempts ${totals!.attempts}: ${dispositions.map((r) => `${r.disposition ?? 'OPEN'} ${r.n}`).join(', ')}`,
      `bookings ${totals!.bookings} (of ${SLOTS} slots)`,
      `contacts: ${contacts.map((r) => `${r.state}${r.due ? '+due' : ''}${r.leased ? '+leased' : ''} ${r.n}`).join(', ')}`,
    ];
    console.log(`dialers-kill:\n  ${summary.join('\n  ')}`);
    timeline.push(...summary);
    const byDialer = await q<{ pid: number | null; attempts: number; open: number; interrupted: number; errors: string | null }>(
      `select r.pid, count(*)::int as attempts, count(*) filter (where a.disposition is null)::int as open,
              count(*) filter (where a.disposition = 'INTERRUPTED')::int as interrupted, string_agg(distinct a.error, ',') as errors
       from attempt a left join dialer r on r.id = a.dialer_id where a.campaign_id = $1 group by r.pid order by min(a.started_at)`);
    timeline.push(...byDialer.map((r) => `attempts of pid ${r.pid}: ${r.attempts}, open ${r.open}, INTERRUPTED ${r.interrupted}, errors ${r.errors ?? '-'}`));

    expect.soft(unexpected, 'dialer processes that exited by themselves, hung, or failed').toEqual([]);
    expect.soft(lastCode, 'exit code of the final --until-idle run').toBe(0);
    expect.soft(await q(
      `select patient_id, count(*)::int as n from booking where campaign_id = $1 and status <> 'cancelled' group by patient_id having count(*) > 1`),
    'patients booked twice').toEqual([]);
    expect.soft(await q(
      `select b.slot_id, count(*)::int as n from booking b join slot s on s.id = b.slot_id
       where s.resource = 'dr-fault' and b.status <> 'cancelled' group by b.slot_id having count(*) > 1`, []),
    'slots booked twice').toEqual([]);
    expect.soft(await q(
      `select b.id, b.slot_id, s.status from booking b join slot s on s.id = b.slot_id
       where b.campaign_id = $1 and b.status <> 'cancelled' and s.status <> 'busy'`),
    'bookings whose slot is not busy').toEqual([]);
    expect.soft(await q(
      `select id, call_id, dialer_id, started_at, answered_at, slot_id from attempt where campaign_id = $1 and disposition is null`),
    'attempts left open').toEqual([]);
    expect.soft(await q(
      `select s.id, s.hold_call_id, s.hold_expires_at, a.disposition from slot s left join attempt a on a.call_id = s.hold_call_id
       where s.resource = 'dr-fault' and s.status = 'busy-tentative' and (a.id is null or a.disposition is not null)`, []),
    'slots still held for a call that has ended').toEqual([]);
    expect.soft(await q(
      `select id, state, next_attempt_at, lease_owner, lease_until, last_disposition from campaign_contact
       where campaign_id = $1 and not (state = 'done' or (state = 'pending' and next_attempt_at is not null))`),
    'contacts neither finished nor due again').toEqual([]);
    expect.soft(await q(
      `select id, state, lease_owner, lease_until from campaign_contact where campaign_id = $1 and lease_until >= now()`),
    'contacts still leased after every dialer stopped').toEqual([]);
    expect.soft(await q(
      `select b.id as booking_id, b.attempt_id, a.disposition from booking b left join attempt a on a.id = b.attempt_id
       where b.campaign_id = $1 and b.status <> 'cancelled' and (a.id is null or a.disposition is distinct from 'BOOKED')`),
    'bookings whose attempt is not BOOKED').toEqual([]);
    expect.soft(await q(
      `select a.id, a.slot_id from attempt a where a.campaign_id = $1 and a.disposition = 'BOOKED'
       and not exists (select 1 from booking b where b.attempt_id = a.id and b.status <> 'cancelled')`),
    'BOOKED attempts with no booking').toEqual([]);
    // not vacuous: calls were made and people were booked while dialers died
    expect.soft(totals!.attempts, 'attempts made').toBeGreaterThan(30);
    expect.soft(totals!.bookings, 'bookings made').toBeGreaterThan(10);
  }, 240_000);
});

/** The gist of a Node diagnostic report: the JS stack and the libuv handles that keep the process alive. */
function nodeReport(dir: string, pid: number): string {
  const file = readdirSync(dir).find((f) => f.startsWith('report.') && f.includes(`.${pid}.`));
  if (!file) return '(no Node report)';
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    javascriptStack?: { message?: string; stack?: string[] };
    libuv?: { type: string; is_active?: boolean; is_referenced?: boolean; remoteEndpoint?: unknown; localEndpoint?: unknown }[];
  };
  const handles = (r.libuv ?? []).filter((h) => h.is_active && h.is_referenced)
    .map((h) => `${h.type}${h.remoteEndpoint ? ` -> ${JSON.stringify(h.remoteEndpoint)}` : h.localEndpoint ? ` ${JSON.stringify(h.localEndpoint)}` : ''}`);
  return `Node report: stack ${r.javascriptStack?.message ?? ''} ${(r.javascriptStack?.stack ?? []).slice(0, 8).join(' | ')}; active handles: ${handles.join(', ')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
