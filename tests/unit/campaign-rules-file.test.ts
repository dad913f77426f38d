import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCampaignFrom, readCampaign } from '../../src/app/campaign-setup.js';
import { RU_CALENDAR } from '../../src/core/index.js';
import { nextStep } from '../../src/dialer/index.js';
import { databases } from '../support/databases.js';

/** A campaign file's rules as a supervisor writes them: retries per outcome, holidays, the end date; checked file:line:col and kept with the campaign. */
const dir = mkdtempSync(join(tmpdir(), 'zvonar-rules-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'c.csv'), 'last_name;first_name;phone;time_zone\nИванова;Анна;+79181234567;Europe/Moscow\n');
const file = (name: string, rules: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `id: ${name}\nname: ${name}\nkind: cold\ndialog: ${resolve('dialogs/dispanserization-invite.yaml')}\ncontacts: c.csv\nrules:\n${rules}`);
  return f;
};

describe('campaign file rules', () => {
  it('retry rules per outcome in minutes, each with a maximum, over the defaults; holidays added; the end at the clinic\'s midnight', async () => {
    const f = file('ok', [
      '  maxAttempts: 5',
      '  retry:',
      '    BUSY: { after: [15, 60], max: 1 }',
      '    UNREACHABLE: { after: [180] }',
      '  holidays: [2026-09-14]',
      '  workdays: [2026-11-28]',
      '  ends: 2026-12-20',
      '',
    ].join('\n'));
    const db = await databases[0]!.open();
    try {
      const { campaign } = await createCampaignFrom(db, readCampaign(f), { now: new Date('2026-12-01T00:00:00Z'), timeZone: 'Europe/Moscow' });
      const r = campaign.rules;
      expect(r.retryDelaysMs.BUSY).toEqual([15 * 60_000, 3_600_000]);
      expect(r.retryDelaysMs.UNREACHABLE).toEqual([3 * 3_600_000]);
      expect(r.retryDelaysMs.NO_ANSWER).toEqual([4 * 3_600_000, 27 * 3_600_000, 51 * 3_600_000]); // the default kept
      expect(r.retryMax).toEqual({ BUSY: 1 });
      expect(r.callingHours.calendar!.holidays).toEqual([...RU_CALENDAR.holidays, '2026-09-14'].sort());
      expect(r.callingHours.calendar!.workdays).toEqual(['2026-11-28']);
      expect(r.endsAt).toBe('2026-12-20T21:00:00.000Z');
      // BUSY once more at most, then closed; the one budget still counts every outcome
      const now = new Date('2026-12-02T09:00:00Z');
      expect(nextStep({ disposition: 'BUSY', attempts: 1, sameBefore: 0, now }, r)).toEqual({ state: 'pending', nextAttemptAt: new Date(now.getTime() + 15 * 60_000) });
      expect(nextStep({ disposition: 'BUSY', attempts: 2, sameBefore: 1, now }, r)).toEqual({ state: 'done', nextAttemptAt: null });
      expect(nextStep({ disposition: 'NO_ANSWER', attempts: 5, sameBefore: 0, now }, r)).toEqual({ state: 'done', nextAttemptAt: null });
    } finally {
      await db.close();
    }
  });

  it('a final or technical outcome in retry, or a date that is not one, is refused naming the file, line and column', () => {
    const refused = (f: string) => {
      try {
        readCampaign(f);
      } catch (err) {
        const e = err as { code: string; message: string; where: { file?: string; line?: number; col?: number } };
        return { code: e.code, message: e.message, file: e.where.file, line: e.where.line, col: typeof e.where.col };
      }
      throw new Error(`${f} was not refused`);
    };
    expect(refused(file('final', '  retry:\n    BOOKED: { after: [60] }\n'))).toEqual({
      code: 'CONFIG_INVALID', message: 'rules.retry.BOOKED: BOOKED is final: final outcomes are never retried', file: join(dir, 'final.yaml'), line: 8, col: 'number',
    });
    expect(refused(file('tech', '  retry:\n    NETWORK_FAILURE: { after: [5] }\n')).message).toMatch(/technical faults are retried on their own back-off/);
    expect(refused(file('date', '  holidays: [2026-02-30]\n'))).toMatchObject({ line: 7, message: expect.stringMatching(/not a day of the calendar/) });
  });

  it('a reminder campaign that is not in the registry, or is not warm, is refused before anything is written', async () => {
    const db = await databases[0]!.open();
    try {
      const f = file('invite', '  reminders: { campaignId: remind }\n');
      await expect(createCampaignFrom(db, readCampaign(f), { now: new Date(), timeZone: 'Europe/Moscow' }))
        .rejects.toMatchObject({ code: 'CONFIG_INVALID', message: 'rules.reminders.campaignId: no campaign "remind" in the registry', where: { file: f } });
      await db.query(`insert into campaign (id, name, kind, dialog_id, dialog_version) values ('remind', 'r', 'cold', 'd', '1')`);
      await expect(createCampaignFrom(db, readCampaign(f), { now: new Date(), timeZone: 'Europe/Moscow' })).rejects.toMatchObject({ message: expect.stringContaining('is cold; reminders go to a warm campaign') });
      await db.query(`update campaign set kind = 'warm' where id = 'remind'`);
      const { campaign } = await createCampaignFrom(db, readCampaign(f), { now: new Date(), timeZone: 'Europe/Moscow' });
      expect(campaign.rules.reminders).toEqual({ campaignId: 'remind', beforeMinutes: 1440, minLeadMinutes: 180 });
    } finally {
      await db.close();
    }
  });
});
