import { isAbsolute, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CampaignFile } from '../../src/config/index.js';
import { createCampaignFrom, readCampaign } from '../../src/app/campaign-setup.js';
import { databases } from '../support/databases.js';

/** The campaign file's `recording` block: off unless asked for, and kept with the campaign so `zvonar run` honours it. */
const base = { id: 'c', name: 'c', kind: 'cold', dialog: 'd.yaml', contacts: 'c.csv' };

describe('campaign file recording', () => {
  it('is absent unless written, and takes defaults for what is left out', () => {
    expect(CampaignFile.parse(base).recording).toBeUndefined();
    expect(CampaignFile.parse({ ...base, recording: { enabled: true } }).recording).toEqual({ enabled: true, dir: './data/recordings', retentionDays: 30 });
  });

  it('refuses a retention under a day, and fields it does not know', () => {
    expect(CampaignFile.safeParse({ ...base, recording: { enabled: true, retentionDays: 0 } }).success).toBe(false);
    expect(CampaignFile.safeParse({ ...base, recording: { enabled: true, folder: 'x' } }).success).toBe(false);
  });

  it('is stored with the campaign\'s rules when enabled, its folder made absolute; not when disabled', async () => {
    const db = await databases[0]!.open();
    try {
      const src = readCampaign('config/demo-campaign.yaml');
      expect(src.file.recording?.enabled).toBe(false);
      const off = await createCampaignFrom(db, src, { now: new Date(), timeZone: 'Europe/Moscow', idSuffix: '-off' });
      expect(off.campaign.rules.recording).toBeUndefined();
      src.file.recording = { enabled: true, dir: 'data/rec-test', retentionDays: 3 };
      const on = await createCampaignFrom(db, src, { now: new Date(), timeZone: 'Europe/Moscow', idSuffix: '-on' });
      expect(on.campaign.rules.recording).toEqual({ enabled: true, dir: resolve('data/rec-test'), retentionDays: 3 });
      expect(isAbsolute(on.campaign.rules.recording!.dir)).toBe(true);
    } finally {
      await db.close();
    }
  });
});
