import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../src/app/index.js';
import { Config } from '../../src/config/index.js';
import { callingWindows, fitToCallingHours, RU_CALENDAR, type CallingHours } from '../../src/core/index.js';

/**
 * `zvonar campaign simulate` checks its own output against every rule, by code written apart from
 * the dialer's: 660 contacts over Russia's eleven zones (UTC+2 to UTC+12), families sharing
 * numbers, a do-not-call list, two weeks over the new year's holidays. No attempt falls outside
 * the callee's calling hours (holidays included), none reaches a do-not-call number, none breaks
 * a cap per person or per number, no contact is tried more than its campaign allows.
 */
const dir = mkdtempSync(join(tmpdir(), 'zvonar-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ZONES = [
  'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk', 'Asia/Krasnoyarsk',
  'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok', 'Asia/Magadan', 'Asia/Kamchatka',
];
const COLD: CallingHours = { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null, calendar: RU_CALENDAR };
const ANSWERED = new Set(['BOOKED', 'DECLINED', 'CALLBACK_REQUESTED', 'ALREADY_DONE']);
const H = 3_600_000;

describe('campaign simulate', () => {
  it('writes attempts that obey the calling hours with holidays, do-not-call, the caps and the attempt limit', async () => {
    const people = Array.from({ length: 660 }, (_, i) => ({
      id: `P-${i}`, zone: ZONES[i % ZONES.length]!,
      // every tenth shares the number of the one before: a family
      phone: `+7918${String(2_000_000 + (i % 10 === 9 ? i - 1 : i)).padStart(7, '0')}`,
    }));
    const dnc = people.filter((_, i) => i % 25 === 3).map((p) => p.phone);
    writeFileSync(join(dir, 'contacts.csv'), ['external_id;last_name;first_name;phone;time_zone', ...people.map((p, i) => `${p.id};Иванова;Анна${i};${p.phone};${p.zone}`)].join('\n'));
    writeFileSync(join(dir, 'dnc.txt'), `phone\n${dnc.join('\n')}\n`);
    writeFileSync(join(dir, 'campaign.yaml'), `id: sim\nname: sim\nkind: cold\ndialog: ${resolve('dialogs/dispanserization-invite.yaml')}\ncontacts: ${join(dir, 'contacts.csv')}\nrules: { maxAttempts: 4 }\n`);
    const cfg = Config.parse({ clinic: { name: 'поликлиника' }, telephony: { kind: 'sim' }, trunk: { from: '+78632000000', cps: 5, maxChannels: 20 }, speech: { kind: 'embedded' }, log: { level: 'silent' } });
    const out = join(dir, 'attempts.jsonl');
    const lines = await runSimulate(cfg, { file: join(dir, 'campaign.yaml'), from: '2026-12-28', days: 14, answerRate: 0.4, outFile: out, doNotCall: join(dir, 'dnc.txt') });
    expect(lines[0]).toBe('campaign sim simulated from 2026-12-28 for 14 days at answer rate 0.4: 660 contacts, 0 rows rejected');

    const attempts = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { contact: string; at: string; outcome: string });
    expect(attempts.length).toBeGreaterThan(660);
    expect(lines[1]).toContain(`attempts: ${attempts.length};`);
    const who = new Map(people.map((p) => [p.id, p]));
    const byPhone = new Map<string, { at: number; answered: boolean }[]>();
    const tries = new Map<string, number>();
    for (const a of attempts) {
      const p = who.get(a.contact)!;
      const at = new Date(a.at);
      // inside the callee's hours, holidays (31 Dec to 8 Jan, Sunday's: none) included
      const fit = fitToCallingHours({ earliest: at, latest: null }, { timeZone: p.zone, windows: callingWindows(COLD), calendar: COLD.calendar });
      expect(fit?.getTime(), `${a.contact} in ${p.zone} at ${a.at}`).toBe(at.getTime());
      expect(dnc).not.toContain(p.phone);
      byPhone.set(p.phone, [...(byPhone.get(p.phone) ?? []), { at: at.getTime(), answered: ANSWERED.has(a.outcome) }]);
      tries.set(a.contact, (tries.get(a.contact) ?? 0) + 1);
    }
    // no attempt on a holiday at all: cold campaigns do not call on Sundays
    expect(attempts.filter((a) => a.at >= '2026-12-31T12:00' && a.at < '2027-01-08T10:00')).toEqual([]);
    expect(Math.max(...tries.values())).toBeLessThanOrEqual(4);
    // caps per number (a family's line): 15 minutes between calls, one answered in 24 h, two in 7 days
    for (const [phone, calls] of byPhone) {
      calls.sort((a, b) => a.at - b.at);
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at, phone).toBeGreaterThanOrEqual(H / 4);
      const answered = calls.filter((c) => c.answered);
      for (let i = 1; i < answered.length; i++) expect(answered[i]!.at - answered[i - 1]!.at, phone).toBeGreaterThanOrEqual(24 * H);
      for (let i = 2; i < answered.length; i++) expect(answered[i]!.at - answered[i - 2]!.at, phone).toBeGreaterThanOrEqual(7 * 24 * H);
    }
    // the families' second members are reached too, one call at a time
    expect(new Set(attempts.map((a) => a.contact)).size).toBe(660 - people.filter((p) => dnc.includes(p.phone)).length);
  }, 120_000);

  it('a campaign that ends (rules.ends) calls nobody after its last day, and its open contacts become EXPIRED', async () => {
    writeFileSync(join(dir, 'short.csv'), ['external_id;last_name;first_name;phone;time_zone', ...Array.from({ length: 300 }, (_, i) => `S-${i};Иванова;Анна;+7918${3_000_000 + i};Europe/Moscow`)].join('\n'));
    writeFileSync(join(dir, 'short.yaml'), `id: short\nname: short\nkind: cold\ndialog: ${resolve('dialogs/dispanserization-invite.yaml')}\ncontacts: ${join(dir, 'short.csv')}\nrules: { ends: 2026-12-08 }\n`);
    const cfg = Config.parse({ clinic: { name: 'п' }, telephony: { kind: 'sim' }, trunk: { from: '+78632000000', cps: 1, maxChannels: 2 }, speech: { kind: 'embedded' }, log: { level: 'silent' } });
    const out = join(dir, 'short.jsonl');
    const lines = await runSimulate(cfg, { file: join(dir, 'short.yaml'), from: '2026-12-07', days: 5, answerRate: 0.5, outFile: out });
    const attempts = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: string });
    expect(attempts.length).toBeGreaterThan(20);
    // the 8th ends at midnight in Moscow: 21:00 UTC
    expect(attempts.every((a) => a.at < '2026-12-08T21:00:00.000Z')).toBe(true);
    expect(lines[2]).toBe('  finished: 2026-12-08T21:00:00.000Z');
    expect(lines[3]).toMatch(/EXPIRED \d+/);
  }, 120_000);
});
