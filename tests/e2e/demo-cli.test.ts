import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/registry/pglite-db.js';

/**
 * The built `zvonar` command, as a user runs it (npm test builds dist/ first). The demo's table
 * is checked against the rows of the registry it leaves behind.
 */
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = { ...process.env, ZVONAR_METRICS_PORT: '0', ZVONAR_LOG_LEVEL: 'warn', DATABASE_URL: '' };

async function zvonar(args: string[]) {
  try {
    const r = await run('node', ['bin/zvonar.js', ...args], { env, timeout: 120_000 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('zvonar demo', () => {
  it('runs the demo campaign and ends with a table that matches the registry', async () => {
    const data = join(tmp, 'demo');
    const r = await zvonar(['demo', '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^\s+\[\s*\d+\/24\]/.test(l))).toHaveLength(24); // progress, a line per call
    const table = lines.slice(lines.findIndex((l) => l.startsWith('Attempts by disposition')) + 2);
    const printed: Record<string, number> = {};
    for (const l of table) {
      const m = /^\s{2}([A-Z_]+)\s+(\d+)$/.exec(l);
      if (!m) break;
      printed[m[1]!] = Number(m[2]);
    }
    const bookingsLine = lines.find((l) => l.startsWith('Bookings'))!;

    const db = await openPglite(data);
    try {
      const { rows } = await db.query<{ disposition: string; n: number }>(`select disposition, count(*)::int as n from attempt group by disposition`);
      expect(printed).toEqual(Object.fromEntries(rows.map((x) => [x.disposition, x.n])));
      const { rows: b } = await db.query<{ n: number }>(`select count(*)::int as n from booking`);
      expect(bookingsLine).toBe(`Bookings (rows in table "booking"): ${b[0]!.n}`);
      expect(b[0]!.n).toBeGreaterThan(0);
      expect(printed.BOOKED).toBe(b[0]!.n);
      // no phone number or patient name appears anywhere in the output
      const csv = readFileSync('config/demo-contacts.csv', 'utf8');
      expect(r.stdout).not.toContain('Иванова');
      expect(csv).toContain('Иванова');
      expect(r.stdout).not.toMatch(/\+7900000\d{4}/);
    } finally {
      await db.close();
    }
  }, 240_000);

  it('stops on a broken dialog script with a message naming the file, line and problem', async () => {
    const script = readFileSync('dialogs/dispanserization-invite.yaml', 'utf8').replace('      yes: find-slots\n      no: decline', '      yes: find-slot\n      no: decline');
    const dialog = join(tmp, 'broken.yaml');
    writeFileSync(dialog, script);
    const campaign = join(tmp, 'campaign.yaml');
    writeFileSync(campaign, readFileSync('config/demo-campaign.yaml', 'utf8').replace('dialogs/dispanserization-invite.yaml', dialog).replace('config/demo-contacts.csv', join(process.cwd(), 'config/demo-contacts.csv')));
    const line = script.split('\n').findIndex((l) => l.includes('yes: find-slot')) + 1;
    const r = await zvonar(['demo', '--data', join(tmp, 'broken'), '--campaign', campaign]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`zvonar: ${dialog}:${line}:12: goes to "find-slot", which is not a step. Did you mean "find-slots"? [SCRIPT_UNKNOWN_TARGET]`);
    expect(r.stdout).toBe('');
  });

  it('load imports good rows and names the junk ones; run dials the campaign; a second load is refused', async () => {
    const dir = join(tmp, 'run');
    const cfg = join(tmp, 'run.yaml');
    writeFileSync(cfg, readFileSync('config/default.yaml', 'utf8')
      .replace('dataDir: ./data/registry', `dataDir: ${dir}`)
      .replace('defaultPersona: agree', 'defaultPersona: decline')
      .replace('level: info', 'level: warn'));
    const csv = join(tmp, 'contacts.csv');
    writeFileSync(csv, 'last_name,first_name,phone,time_zone\n' +
      'Иванова,Анна,8 918 555-01-01,Europe/Moscow\n' +
      'Петров,Сергей,12345,Europe/Moscow\n' +
      'Сидорова,Мария,+79185550103,Mars/Olympus\n');
    const campaign = join(tmp, 'run-campaign.yaml');
    writeFileSync(campaign, [
      'id: cli-run', 'name: CLI run', 'kind: cold', `dialog: ${join(process.cwd(), 'dialogs/dispanserization-invite.yaml')}`, `contacts: ${csv}`,
      'rules:', '  callingHours: { weekdays: ["00:00", "24:00"], saturday: ["00:00", "24:00"], sunday: ["00:00", "24:00"] }', '',
    ].join('\n'));
    const load = await zvonar(['-c', cfg, 'load', campaign]);
    expect(load.stderr).toBe('');
    expect(load.stdout).toMatch(/campaign cli-run: 1 (contacts )?imported.*, 2 rejected/);
    expect(load.stdout).toContain('line 3, column phone:');
    expect(load.stdout).toContain('line 4, column time_zone: must be an IANA time zone');
    const again = await zvonar(['-c', cfg, 'load', campaign]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('campaign "cli-run" already exists [CAMPAIGN_EXISTS]');
    const run = await zvonar(['-c', cfg, 'run', '--until-idle']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\s+\[\s*1\] \+7918\*\*\*0101\s+DECLINED\s+SIP 200$/m); // a line per call, as in the demo
    expect(run.stdout).toContain('Attempts by disposition (rows in table "attempt", campaign cli-run)');
    const db = await openPglite(dir);
    try {
      const { rows } = await db.query<{ disposition: string }>(`select disposition from attempt where campaign_id = 'cli-run'`);
      expect(rows).toEqual([{ disposition: 'DECLINED' }]);
    } finally {
      await db.close();
    }
  }, 150_000);

  it('stops on a configuration mistake naming the file and line', async () => {
    const cfg = join(tmp, 'bad.yaml');
    writeFileSync(cfg, readFileSync('config/default.yaml', 'utf8').replace('ringTimeoutMs: 23000', 'ringTimeoutMs: 2000'));
    const r = await zvonar(['-c', cfg, 'migrate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${cfg}:\\d+:\\d+: trunk\\.ringTimeoutMs: .*15000`));
  });
});
