import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { ANY_HOUR, defaultRules } from '../../src/dialer/index.js';
import { loadScript } from '../../src/dialog/index.js';
import { migrate, type Db } from '../../src/registry/index.js';
import { connectPostgres } from '../../src/registry/pg-db.js';
import { openPglite } from '../../src/registry/pglite-db.js';

/**
 * The built `zvonar` command as a clinic's IT person meets it: from any folder, with every failure
 * one coded line and no stack, and with the things that go wrong on a shared host (a taken
 * metrics port, a reader that goes away, a database that refuses).
 */
const ROOT = resolve('.');
const BIN = join(ROOT, 'bin/zvonar.js');
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const baseEnv = { ...process.env, ZVONAR_METRICS_PORT: '0', ZVONAR_LOG_LEVEL: 'warn', DATABASE_URL: '' };

interface Result { code: number; stdout: string; stderr: string }

function zvonar(args: string[], o: { cwd?: string; env?: Record<string, string>; stdin?: string } = {}): Promise<Result> {
  return new Promise((done) => {
    const child = execFile('node', [BIN, ...args], { cwd: o.cwd ?? ROOT, env: { ...baseEnv, ...o.env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(o.stdin ?? '');
  });
}

const globalExpect = expect;

/** A failure is one line `zvonar: ... [CODE]`, nothing else, and no stack. */
function expectOneCodedLine(r: Result, code: string, expect: ExpectStatic = globalExpect): string {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^zvonar: .* \\[${code}\\]$`));
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

/** A configuration like the default one, with the registry in `dataDir` and the sim's default persona. */
function configFile(name: string, p: { dataDir: string; defaultPersona?: string }): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, readFileSync('config/default.yaml', 'utf8')
    .replace('dataDir: ./data/registry', `dataDir: "${p.dataDir}"`)
    .replace('defaultPersona: agree', `defaultPersona: ${p.defaultPersona ?? 'agree'}`)
    .replace('answerDelayMs: 300', 'answerDelayMs: 10'));
  return file;
}

describe('zvonar CLI, each command on its own', () => {
  it('dialog check reports every problem of every script, one file:line:col line each, and the good ones ok; exit 1', async ({ expect }) => {
    const good = readFileSync('dialogs/dispanserization-invite.yaml', 'utf8');
    const bad1 = join(tmp, 'bad1.yaml');
    const bad2 = join(tmp, 'bad2.yaml');
    writeFileSync(bad1, good.replace('yes: find-slots', 'yes: find-slot').replace('Здравствуйте, {patient.first_name}', 'Здравствуйте, {patient.firstname}'));
    writeFileSync(bad2, good.replace('next: offer', 'next: greet'));
    const r = await zvonar(['dialog', 'check', bad1, 'dialogs/dispanserization-invite.yaml', bad2]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^dialogs\/dispanserization-invite\.yaml: ok/m);
    const lines = r.stdout.split('\n').filter((l) => l && !l.endsWith(' steps)'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(/^[^ ]+\.yaml:\d+:\d+: .+ \[[A-Z_]+\]$/);
    expect(lines.filter((l) => l.includes('bad1.yaml')).map((l) => /\[([A-Z_]+)\]$/.exec(l)![1]).sort()).toEqual(expect.arrayContaining(['SCRIPT_TEMPLATE', 'SCRIPT_UNKNOWN_TARGET']));
    expect(lines.some((l) => l.includes('bad2.yaml'))).toBe(true);
  });

  it('dialog intents reads utterances on stdin and prints one JSON line each, in order: the library, or a script\'s step', async ({ expect }) => {
    const lib = await zvonar(['dialog', 'intents', '--lang', 'ru'], { stdin: 'ну да, давайте\nне звоните мне больше\nсколько стоит?\n' });
    expect(lib.code).toBe(0);
    const rows = lib.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; intent: string | null; confidence: number });
    expect(rows.map((r) => [r.text, r.intent])).toEqual([['ну да, давайте', 'yes'], ['не звоните мне больше', 'stop_calling'], ['сколько стоит?', null]]);
    expect(rows[2]!.confidence).toBeLessThan(0.5);
    const step = await zvonar(['dialog', 'intents', 'dialogs/dispanserization-invite.yaml', '--step', 'choose'], { stdin: 'давайте второе\nэто не я\n' });
    expect(step.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { intent: string }).intent)).toEqual(['choose', 'wrong_person']);
    expectOneCodedLine(await zvonar(['dialog', 'intents', 'dialogs/dispanserization-invite.yaml', '--step', 'chose']), 'SCRIPT_UNKNOWN_TARGET', expect);
  });

  it('dialog graph draws a script as Mermaid or SVG', async ({ expect }) => {
    const mmd = await zvonar(['dialog', 'graph', 'dialogs/dispanserization-invite.yaml']);
    expect(mmd.code).toBe(0);
    expect(mmd.stdout).toMatch(/^flowchart TD/);
    expect(mmd.stdout).toContain('find-slots');
    const svg = await zvonar(['dialog', 'graph', 'dialogs/dispanserization-invite-en.yaml', '--format', 'svg']);
    expect(svg.stdout).toMatch(/^(<\?xml[^>]*>\s*)?<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.stdout.trimEnd()).toMatch(/<\/svg>$/);
  });

  it('dialog test runs the installed package\'s suites from any folder: a line per case, a summary, exit 0; a wrong expectation is file:line:col, exit 1', async ({ expect }) => {
    const r = await zvonar(['dialog', 'test'], { cwd: tmp });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ cases, 0 failed$/);
    expect(lines.length - 1).toBe(Number(lines.at(-1)!.split(' ')[0]));
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^ok {5}\/.+\/dialogs\/tests\/[a-z-]+\.yaml [a-z0-9-]+ \(\d+ ms; a \d+\.\d s call\)$/);
    const wrong = join(tmp, 'wrong-suite.yaml');
    writeFileSync(wrong, `script: ${join(ROOT, 'dialogs/dispanserization-invite.yaml')}\ncases:\n  declines:\n    persona: { says: ["нет"] }\n    expect: { disposition: BOOKED }\n`);
    const f = await zvonar(['dialog', 'test', wrong]);
    expect(f.code).toBe(1);
    expect(f.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^FAILED .*wrong-suite\.yaml declines \(\d+ ms; a [\d.]+ s call\)$/),
      `  ${wrong}:5:28: disposition: expected BOOKED, got DECLINED`,
      '1 case, 1 failed',
    ]);
  });

  it('--version prints the version of package.json and exits 0', async ({ expect }) => {
    const r = await zvonar(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`, stderr: '' });
  });

  it('from another working directory, reads the installed config/default.yaml (not ./config)', async ({ expect }) => {
    const r = await zvonar(['migrate'], { cwd: tmpdir(), env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' } });
    expect(r.stderr).not.toContain('CONFIG_NOT_FOUND');
    expectOneCodedLine(r, 'REGISTRY_UNAVAILABLE', expect); // got as far as the registry the default config names
  });

  it('an explicit -c stays relative to the working directory', async ({ expect }) => {
    const r = await zvonar(['-c', 'config/default.yaml', 'migrate'], { cwd: tmpdir() });
    expect(expectOneCodedLine(r, 'CONFIG_NOT_FOUND', expect)).toContain('config/default.yaml');
  });

  it('a database URL that refuses connections ends in one REGISTRY_UNAVAILABLE line, exit 2, no stack', async ({ expect }) => {
    const r = await zvonar(['migrate'], { env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' } });
    const line = expectOneCodedLine(r, 'REGISTRY_UNAVAILABLE', expect);
    expect(r.code).toBe(2);
    expect(line).toContain('postgres://x@127.0.0.1:1/x');
  });

  it('at debug level, a failure also prints its stack and cause', async ({ expect }) => {
    const r = await zvonar(['migrate'], { env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', ZVONAR_LOG_LEVEL: 'debug' } });
    expect(r.stderr.split('\n')[0]).toMatch(/^zvonar: .* \[REGISTRY_UNAVAILABLE\]$/);
    expect(r.stderr).toMatch(/caused by: .*ECONNREFUSED/);
  });

  it('an unknown option is a USAGE line, exit 2', async ({ expect }) => {
    const r = await zvonar(['run', '--until-idel']);
    expect(expectOneCodedLine(r, 'USAGE', expect)).toContain("unknown option '--until-idel'");
    expect(r.code).toBe(2);
  });

  const file = join(tmp, 'a-file');
  writeFileSync(file, 'not a folder');
  const badDirs: [string, string][] = [['a path under /proc', '/proc/zvonar-registry'], ['/dev/null', '/dev/null'], ['a file', file], ['a path under /sys', '/sys/zvonar']];
  for (const [i, [kind, dir]] of badDirs.entries()) {
    it(`database.dataDir that is ${kind} is refused before the registry opens, naming the field and the path`, async ({ expect }) => {
      const r = await zvonar(['-c', configFile(`bad-dir-${i}`, { dataDir: dir }), 'migrate']);
      const line = expectOneCodedLine(r, 'CONFIG_INVALID', expect);
      expect(line).toContain('database.dataDir');
      expect(line).toContain(dir); // refused by zvonar before PGlite starts (which spins under /proc)
    });
  }

  it('demo --data naming a folder that holds other files refuses to empty it, and leaves it unchanged', async ({ expect }) => {
    const dir = mkdtempSync(join(tmp, 'mine-'));
    writeFileSync(join(dir, 'thesis.txt'), 'precious');
    const r = await zvonar(['demo', '--data', dir]);
    expect(expectOneCodedLine(r, 'CONFIG_INVALID', expect)).toContain(`--data: "${dir}" is not empty and holds no registry`);
    expect(readFileSync(join(dir, 'thesis.txt'), 'utf8')).toBe('precious');
  });

  it('a reader that goes away (| head) ends the command quietly: exit 0, nothing on stderr', async ({ expect }) => {
    const child = spawn('node', [BIN, 'dialog', 'schema'], { env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // before the first write: it meets EPIPE
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('zvonar run and campaign export, in turn on one registry with personas in its contact list', () => {
  const dataDir = join(tmp, 'registry');
  let cfg: string;
  let taken: Server;
  let takenPort: number;
  const phones = { busy: '+79185550001', unreachable: '+79185550002', none: '+79185550003', unknown: '+79185550004' };

  beforeAll(async () => {
    cfg = configFile('run', { dataDir, defaultPersona: 'decline' });
    const script = loadScript('dialogs/dispanserization-invite.yaml');
    const db = await openPglite(dataDir);
    try {
      await migrate(db);
      await db.query(`insert into campaign (id, name, kind, dialog_id, dialog_version, rules) values ('personas', 'Personas', 'cold', $1, $2, $3)`,
        [script.id, script.version, JSON.stringify({ ...defaultRules('cold'), callingHours: ANY_HOUR })]);
      const attributes: Record<string, object> = {
        [phones.busy]: { persona: 'busy' }, [phones.unreachable]: { persona: 'unreachable' }, [phones.none]: {}, [phones.unknown]: { persona: 'martian' },
      };
      for (const [i, phone] of Object.values(phones).entries()) {
        const { rows } = await db.query<{ id: string }>(
          `insert into patient (external_id, last_name, first_name, phone, time_zone) values ($1, 'Иванова', 'Анна', $2, 'Europe/Moscow') returning id`,
          [`MIS-${i}`, phone]);
        await db.query(`insert into campaign_contact (campaign_id, patient_id, phone, next_attempt_at, attributes) values ('personas', $1, $2, now() - interval '1 minute', $3)`,
          [rows[0]!.id, phone, JSON.stringify(attributes[phone])]);
      }
    } finally {
      await db.close();
    }
    taken = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    takenPort = (taken.address() as { port: number }).port;
  }, 60_000);
  afterAll(() => new Promise<void>((ok) => (taken ? taken.close(() => ok()) : ok())));

  it('run --until-idle with the metrics port taken warns, dials every contact as its persona, and prints a line per call and a summary', async () => {
    const r = await zvonar(['-c', cfg, 'run', '--until-idle'], { env: { ZVONAR_METRICS_PORT: String(takenPort) } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toContain('HTTP port unavailable');
    expect(r.stdout).toContain(`metrics and console not served: 127.0.0.1:${takenPort} is in use`);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^\s+\[\s*\d+\] \+7918\*\*\*\d{4}\s+[A-Z_]+\s+SIP/.test(l))).toHaveLength(4);
    expect(r.stdout).toContain('Attempts by disposition (rows in table "attempt", campaign personas)');
    expect(r.stdout).not.toMatch(/\+7918555\d{4}/); // masked on stdout

    const db = await openPglite(dataDir);
    try {
      const { rows } = await db.query<{ phone: string; disposition: string }>(
        `select c.phone, a.disposition from attempt a join campaign_contact c on c.id = a.campaign_contact_id order by c.phone`);
      expect(Object.fromEntries(rows.map((x) => [x.phone, x.disposition]))).toEqual({
        [phones.busy]: 'BUSY', [phones.unreachable]: 'UNREACHABLE', [phones.none]: 'DECLINED', [phones.unknown]: 'DECLINED',
      });
    } finally {
      await db.close();
    }
  }, 60_000);

  it('campaign export --what attempts writes CSV with a BOM, a header and a row per attempt', async () => {
    const r = await zvonar(['-c', cfg, 'campaign', 'export', 'personas', '--what', 'attempts']);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith('\uFEFFcall_id,contact_id,patient_external_id,phone,')).toBe(true);
    expect(r.stdout.split('\r\n').filter(Boolean)).toHaveLength(5);
    expect(r.stdout).toContain(`,${phones.busy},`);
  }, 60_000);

  it('campaign export --out writes the file readable by its owner only and says how many rows', async () => {
    const out = join(tmp, 'bookings.json');
    const r = await zvonar(['-c', cfg, 'campaign', 'export', 'personas', '--what', 'bookings', '--format', 'json', '--out', out]);
    expect(r.stdout).toBe(`0 bookings of campaign personas written to ${out}\n`);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([]);
    const { statSync } = await import('node:fs');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('campaign export of a campaign that does not exist is CAMPAIGN_NOT_FOUND, and prints nothing', async () => {
    const r = await zvonar(['-c', cfg, 'campaign', 'export', 'no-such', '--what', 'callbacks']);
    expect(expectOneCodedLine(r, 'CAMPAIGN_NOT_FOUND')).toContain('"no-such"');
    expect(r.stdout).toBe('');
  }, 60_000);
});

describe('zvonar call, through the configured telephony (here the simulated network; real SIP is tests/e2e/sip-drachtio.test.ts)', () => {
  const dataDir = join(tmp, 'call-registry');
  it('--json: one object with the disposition, SIP status, transcript; a rehearsal that books nothing; the attempt in test-calls', async () => {
    const cfg = configFile('call', { dataDir, defaultPersona: 'agree' });
    const db0 = await openPglite(dataDir);
    try {
      await migrate(db0);
      await db0.query(`insert into slot (resource, specialty, starts_at, ends_at) values ('dr-1', 'therapist', now() + interval '2 days', now() + interval '2 days 20 minutes'), ('dr-1', 'therapist', now() + interval '3 days', now() + interval '3 days 20 minutes')`);
    } finally {
      await db0.close();
    }
    const r = await zvonar(['-c', cfg, 'call', '8 (918) 555-00-10', '--dialog', 'dialogs/dispanserization-invite.yaml', '--patient', 'Иванова Анна Петровна', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ disposition: 'BOOKED', sipStatus: 200, q850: null, amd: 'notsure', earlyMedia: null, rehearsal: true, campaignId: 'test-calls' }); // the persona waits in silence for the robot
    expect(report.durationMs).toBeGreaterThan(1_000);
    expect(report.transcript[0]).toMatchObject({ who: 'robot', text: expect.stringMatching(/^Здравствуйте, Анна Петровна!/) });
    expect(report.transcript.some((l: { who: string }) => l.who === 'callee')).toBe(true);
    const db = await openPglite(dataDir);
    try {
      const attempts = await db.query<{ disposition: string; campaign_id: string }>(`select disposition, campaign_id from attempt where call_id = $1`, [report.callId]);
      expect(attempts.rows).toEqual([{ disposition: 'BOOKED', campaign_id: 'test-calls' }]);
      // a rehearsal: the slot it "booked" is still free, and no booking row exists
      expect((await db.query(`select count(*)::int as n from booking`)).rows[0]).toEqual({ n: 0 });
      expect((await db.query(`select status from slot where id = $1`, [report.slot.id])).rows[0]).toEqual({ status: 'free' });
      expect((await db.query(`select status from campaign where id = 'test-calls'`)).rows[0]).toEqual({ status: 'paused' });
    } finally {
      await db.close();
    }
  }, 90_000);

  it('without --json, prints each event as it happens and the disposition; a busy number is BUSY', async () => {
    const cfg = configFile('call-busy', { dataDir, defaultPersona: 'busy' });
    const r = await zvonar(['-c', cfg, 'call', '+79185550011', '--dialog', 'dialogs/dispanserization-invite.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/originating[\s\S]*hanging-up[\s\S]*disposition BUSY \(not answered, with a SIP final status\)\nSIP 486, not answered/);
  }, 60_000);

  it('a number that is not one, a dialog that does not exist, keys that are not keys: one coded line each, nothing dialled', async () => {
    const cfg = configFile('call-bad', { dataDir, defaultPersona: 'agree' });
    expectOneCodedLine(await zvonar(['-c', cfg, 'call', '12', '--dialog', 'dialogs/dispanserization-invite.yaml']), 'PHONE_INVALID');
    expectOneCodedLine(await zvonar(['-c', cfg, 'call', '+79185550012', '--dialog', 'dialogs/nope.yaml']), 'CONFIG_NOT_FOUND');
    expectOneCodedLine(await zvonar(['-c', cfg, 'call', '+79185550012', '--dialog', 'dialogs/dispanserization-invite.yaml', '--dtmf', '12x']), 'CONFIG_INVALID');
    expectOneCodedLine(await zvonar(['-c', cfg, 'call', '+79185550012']), 'USAGE');
  }, 60_000);
});

describe.skipIf(!process.env.ZVONAR_TEST_DATABASE_URL)('zvonar run --until-idle when PostgreSQL goes away mid-call', () => {
  it('ends with one REGISTRY_UNAVAILABLE line and no stack', async () => {
    const admin = new pg.Client({ connectionString: process.env.ZVONAR_TEST_DATABASE_URL });
    await admin.connect();
    const name = `zvonar_cli_${process.pid}_${Date.now()}`;
    await admin.query(`create database ${name}`);
    const url = new URL(process.env.ZVONAR_TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    try {
      const db = await connectPostgres(url.toString());
      await seedOneContact(db, 'agree'); // a call long enough to drop the database under it
      await db.close();
      const cfg = join(tmp, 'gone.yaml');
      writeFileSync(cfg, readFileSync(configFile('gone', { dataDir: join(tmp, 'unused') }), 'utf8').replace('  heartbeatMs: 5000', '  heartbeatMs: 5000\n  registryRetryMs: 1000'));
      const running = zvonar(['-c', cfg, 'run', '--until-idle'], { env: { DATABASE_URL: url.toString(), ZVONAR_LOG_LEVEL: 'fatal' } });
      const watcher = new pg.Client({ connectionString: url.toString() });
      await watcher.connect();
      while ((await watcher.query<{ n: number }>('select count(*)::int as n from attempt')).rows[0]!.n === 0) await new Promise((ok) => setTimeout(ok, 100));
      await watcher.end();
      await admin.query(`drop database ${name} with (force)`); // its sessions end (57P01), reconnects find no database (3D000)
      const r = await running;
      expect(expectOneCodedLine(r, 'REGISTRY_UNAVAILABLE')).toContain(name);
      expect(r.code).toBe(2);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 60_000);
});

/** A campaign "one" due now, dialling one contact who answers as `persona`. */
async function seedOneContact(db: Db, persona: string): Promise<void> {
  const script = loadScript('dialogs/dispanserization-invite.yaml');
  await migrate(db);
  await db.query(`insert into campaign (id, name, kind, dialog_id, dialog_version, rules) values ('one', 'One', 'cold', $1, $2, $3)`,
    [script.id, script.version, JSON.stringify({ ...defaultRules('cold'), callingHours: ANY_HOUR })]);
  const { rows } = await db.query<{ id: string }>(`insert into patient (last_name, first_name, phone, time_zone) values ('Иванова', 'Анна', '+79185550009', 'Europe/Moscow') returning id`);
  await db.query(`insert into campaign_contact (campaign_id, patient_id, phone, next_attempt_at, attributes) values ('one', $1, '+79185550009', now() - interval '1 minute', $2)`,
    [rows[0]!.id, JSON.stringify({ persona })]);
}

describe('zvonar contacts import', () => {
  const dataDir = join(tmp, 'contacts-registry');
  let cfg: string;

  beforeAll(async () => {
    cfg = configFile('contacts', { dataDir });
    const script = loadScript('dialogs/dispanserization-invite.yaml');
    const db = await openPglite(dataDir);
    try {
      await migrate(db);
      await db.query(`insert into campaign (id, name, kind, dialog_id, dialog_version, rules) values ('spring', 'Spring', 'cold', $1, $2, $3)`,
        [script.id, script.version, JSON.stringify(defaultRules('cold'))]);
    } finally {
      await db.close();
    }
  }, 60_000);

  // Russian habits in the phone column; junk on lines 6-10; line 11 has no zone (the clinic's is used)
  const csv = [
    'external_id;last_name;first_name;middle_name;phone;time_zone;tags;priority',
    'MIS-1;Иванова;Анна;Петровна;8 918 555-01-01;Europe/Moscow;group-1;10',
    'MIS-2;Петров;Сергей;;+7 (918) 555 01 02;Asia/Vladivostok;;',
    'MIS-3;Смирнова;Ольга;;8(918)5550103;Asia/Kamchatka;;',
    'MIS-4;Кузнецов;Николай;;+79185550104;Europe/Kaliningrad;;',
    'MIS-5;Попова;Елена;;12345;Europe/Moscow;;',
    'MIS-6;;Дмитрий;;+79185550106;Europe/Moscow;;',
    'MIS-7;Соколов;Дмитрий;;+79185550107;Moscow;;',
    'MIS-8;Соколова;Мария;;+79185550108;Europe/Moscow;;first',
    'MIS-1;Иванова;Анна;Петровна;8 918 555-01-01;Europe/Moscow;;',
    'MIS-11;Орлова;Вера;;8-918-555-01-11;;;',
  ].join('\r\n');

  it('imports every good row, reports each bad one with its line and reason, says whose zone was the clinic\'s; again, changes nothing', async ({ expect }) => {
    const file = join(tmp, 'contacts.csv');
    writeFileSync(file, `${csv}\r\n`);
    const first = await zvonar(['-c', cfg, 'contacts', 'import', file, '--campaign', 'spring']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toBe('imported 5, rejected 5');
    expect(lines[1]).toMatch(/^ {2}5 new patients, 0 updated, 0 already in campaign spring \(10 rows read/);
    expect(lines[2]).toBe('  1 rows had no time zone: the clinic\'s Europe/Moscow was used (line 11)');
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(/^ {2}line 6, column phone: is not a valid phone number/),
      '  line 7, column last_name: is blank [CONTACT_INVALID]',
      expect.stringMatching(/^ {2}line 8, column time_zone: .*Moscow/),
      '  line 9, column priority: must be a whole number from 0 (called first) to 1000 [CONTACT_INVALID]',
      '  line 10, column external_id: the same person as line 2 [CONTACT_INVALID]',
    ]);
    expect(first.stdout).not.toContain('Попова'); // a rejected row is named by its line, never quoted

    const again = await zvonar(['-c', cfg, 'contacts', 'import', file, '--campaign', 'spring']);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe('imported 0, rejected 5');
    expect(again.stdout.split('\n')[1]).toMatch(/^ {2}0 new patients, 0 updated, 5 already in campaign spring/);

    const db = await openPglite(dataDir);
    try {
      const { rows } = await db.query<{ external_id: string; phone: string; time_zone: string; priority: number }>(
        `select p.external_id, c.phone, c.time_zone, c.priority from campaign_contact c join patient p on p.id = c.patient_id
         where c.campaign_id = 'spring' order by p.external_id`);
      expect(rows).toEqual([
        { external_id: 'MIS-1', phone: '+79185550101', time_zone: 'Europe/Moscow', priority: 10 },
        { external_id: 'MIS-11', phone: '+79185550111', time_zone: 'Europe/Moscow', priority: 100 },
        { external_id: 'MIS-2', phone: '+79185550102', time_zone: 'Asia/Vladivostok', priority: 100 },
        { external_id: 'MIS-3', phone: '+79185550103', time_zone: 'Asia/Kamchatka', priority: 100 },
        { external_id: 'MIS-4', phone: '+79185550104', time_zone: 'Europe/Kaliningrad', priority: 100 },
      ]);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('campaign status says what holds each open contact back, by the dialer\'s own rules; pause, resume and stop', async ({ expect }) => {
    // Tuesday 12:00 in Moscow: 21:00 in Kamchatka, past its calling hours
    const r = await zvonar(['-c', cfg, 'campaign', 'status', 'spring', '--at', '2026-12-08T09:00:00Z']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'campaign spring (cold, active) at 2026-12-08T09:00:00.000Z: 5 contacts, 5 open, 0 done',
      '  callable now: 4',
      '  outside the calling window: 1 (Asia/Kamchatka 1 until 2026-12-08T21:00:00.000Z)',
      '  waiting for a retry: 0',
      '  held back by the caps per person: 0',
      '  on a call now: 0',
      '  do-not-call (closed unrung when leased): 0',
      '  done by outcome: none',
      '  attempts by disposition: none',
      '  bookings: 0',
      '  calls in the last hour: 0; in the last day: 0 (0.0 an hour)',
    ]);
    expect((await zvonar(['-c', cfg, 'campaign', 'pause', 'spring'])).stdout).toBe('campaign spring: active -> paused\n');
    expect((await zvonar(['-c', cfg, 'campaign', 'resume', 'spring'])).stdout).toBe('campaign spring: paused -> active\n');
    expect((await zvonar(['-c', cfg, 'campaign', 'stop', 'spring'])).stdout).toBe('campaign spring: active -> done\n');
    expect(expectOneCodedLine(await zvonar(['-c', cfg, 'campaign', 'resume', 'spring']), 'CAMPAIGN_STOPPED', expect)).toContain('cannot be resumed');
  }, 60_000);

  it('bookings import books the MIS\'s visits and enrols their reminders the day before; bad rows named; again: no change; a cancelled row withdraws the reminder', async ({ expect }) => {
    const db = await openPglite(dataDir);
    try {
      await db.query(`insert into campaign (id, name, kind, dialog_id, dialog_version, rules) values ('remind', 'Reminders', 'warm', 'r', '1', $1)`, [JSON.stringify(defaultRules('warm'))]);
    } finally {
      await db.close();
    }
    const file = join(tmp, 'bookings.csv');
    const rows = [
      'external_id;resource;specialty;starts_at;minutes;status',
      'MIS-1;dr-7;therapist;2027-02-10 09:00;20;booked',
      'MIS-2;dr-7;therapist;2027-02-10 09:20;;',
      'MIS-404;dr-7;therapist;2027-02-10 09:40;20;',
      'MIS-3;dr-7;therapist;10.02.2027 10:00;20;',
      'MIS-3;dr-7;therapist;2027-02-10 09:10;20;',
    ];
    writeFileSync(file, `${rows.join('\r\n')}\r\n`);
    const first = await zvonar(['-c', cfg, 'bookings', 'import', file, '--campaign', 'remind']);
    expect(first.stderr).toBe('');
    expect(first.stdout.split('\n').filter(Boolean)).toEqual([
      'imported 2, rejected 3',
      '  2 booked, 0 cancelled, 0 already so; 2 reminders enrolled in remind',
      '  line 4, column external_id: no patient with this external_id in the registry (import the contact list first) [CONTACT_INVALID]',
      expect.stringMatching(/^ {2}line 5, column starts_at: is not a time such as/),
      '  line 6, column starts_at: overlaps another live booking of this resource in the registry [CONTACT_INVALID]',
    ]);
    const again = await zvonar(['-c', cfg, 'bookings', 'import', file, '--campaign', 'remind']);
    expect(again.stdout.split('\n')[1]).toBe('  0 booked, 0 cancelled, 2 already so; 0 reminders enrolled in remind');
    writeFileSync(file, `${rows[0]}\r\nMIS-2;dr-7;therapist;2027-02-10 09:20;20;cancelled\r\n`);
    expect((await zvonar(['-c', cfg, 'bookings', 'import', file, '--campaign', 'remind'])).stdout.split('\n')[0]).toBe('imported 1, rejected 0');
    const check = await openPglite(dataDir);
    try {
      const { rows: r } = await check.query<{ external_id: string; state: string; next_attempt_at: Date | null }>(
        `select p.external_id, c.state, c.next_attempt_at from campaign_contact c join patient p on p.id = c.patient_id where c.campaign_id = 'remind' order by 1`);
      // the day before, 09:00 in Moscow: 06:00 UTC on 9 February
      expect(r).toEqual([
        { external_id: 'MIS-1', state: 'pending', next_attempt_at: new Date('2027-02-09T06:00:00Z') },
        { external_id: 'MIS-2', state: 'done', next_attempt_at: null },
      ]);
    } finally {
      await check.close();
    }
  }, 60_000);

  it('a campaign that does not exist is CAMPAIGN_NOT_FOUND and writes nothing; a file without a phone column is CONTACT_INVALID at line 1', async ({ expect }) => {
    const file = join(tmp, 'contacts-2.csv');
    writeFileSync(file, `${csv}\r\n`);
    expect(expectOneCodedLine(await zvonar(['-c', cfg, 'contacts', 'import', file, '--campaign', 'autumn']), 'CAMPAIGN_NOT_FOUND', expect)).toContain('"autumn"');
    const bad = join(tmp, 'contacts-3.csv');
    writeFileSync(bad, 'last_name;first_name\r\nИванова;Анна\r\n');
    expect(expectOneCodedLine(await zvonar(['-c', cfg, 'contacts', 'import', bad, '--campaign', 'spring']), 'CONTACT_INVALID', expect)).toMatch(/contacts-3\.csv:1.*missing column "phone"/);
  }, 60_000);
});
