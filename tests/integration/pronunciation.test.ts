import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignFrom, readCampaign } from '../../src/app/index.js';
import { openPglite } from '../../src/registry/pglite-db.js';
import { getCampaign, migrate, type Db } from '../../src/registry/index.js';
import { runUntilIdle, seedCampaign, testEngine } from '../support/engine.js';

// A campaign's pronunciation dictionary, applied before any engine: the simulated callee hears the
// modem voice exactly, so what the robot was told to say is what it heard.

let db: Db;
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-pron-'));
beforeAll(async () => {
  db = await openPglite();
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a campaign\'s pronunciation dictionary', () => {
  it('is checked and kept with the campaign when it is loaded', async () => {
    writeFileSync(join(tmp, 'words.yaml'), 'language: ru-RU\nwords:\n  диспансеризацию: диспансериз+ацию\n');
    writeFileSync(join(tmp, 'contacts.csv'), 'last_name,first_name,phone,time_zone\nИванова,Анна,+79185550101,Europe/Moscow\n');
    writeFileSync(join(tmp, 'campaign.yaml'), [
      'id: pron', 'name: pron', 'kind: cold', `dialog: ${join(process.cwd(), 'dialogs/dispanserization-invite.yaml')}`,
      'contacts: contacts.csv', 'pronunciation: words.yaml', '',
    ].join('\n'));
    const loaded = await createCampaignFrom(db, readCampaign(join(tmp, 'campaign.yaml')), { now: new Date(), timeZone: 'Europe/Moscow' });
    expect((await getCampaign(db, loaded.campaign.id)).rules.pronunciation).toEqual({ language: 'ru-RU', words: { диспансеризацию: 'диспансериз+ацию' } });
    writeFileSync(join(tmp, 'bad.yaml'), 'language: ru-RU\nwords:\n  МРТ: [1, 2]\n');
    writeFileSync(join(tmp, 'campaign2.yaml'), [
      'id: pron2', 'name: pron2', 'kind: cold', `dialog: ${join(process.cwd(), 'dialogs/dispanserization-invite.yaml')}`,
      'contacts: contacts.csv', 'pronunciation: bad.yaml', '',
    ].join('\n'));
    await expect(createCampaignFrom(db, readCampaign(join(tmp, 'campaign2.yaml')), { now: new Date(), timeZone: 'Europe/Moscow' }))
      .rejects.toMatchObject({ code: 'PRONUNCIATION_INVALID', where: { file: expect.stringMatching(/bad\.yaml$/), line: 3 } });
  });

  it('every call of the campaign says its words so', async () => {
    const s = await seedCampaign(db, {
      personas: ['decline'], slots: 1, now: new Date(),
      rules: { pronunciation: { language: 'ru-RU', words: { диспансеризацию: 'диспансериз+ацию' } } },
    });
    const engine = await testEngine(db, s.personaOf);
    try {
      await runUntilIdle(engine, s.campaign);
    } finally {
      await engine.close();
    }
    const heard = engine.sim!.calls[0]!.heard.join(' ');
    expect(heard).toContain('диспансериз+ацию');
    expect(heard).not.toContain(' диспансеризацию');
  }, 60_000);
});
