import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignFrom, readCampaign, runLoad } from '../../src/app/index.js';
import { Config } from '../../src/config/index.js';
import { ContactError, ZvonarError } from '../../src/core/index.js';
import { importPatients, type Db, type NewPatient } from '../../src/registry/index.js';
import { openPglite } from '../../src/registry/pglite-db.js';
import { databases } from '../support/databases.js';

const NOW = new Date('2026-11-24T07:00:00Z');
const HEADER = 'external_id,last_name,first_name,middle_name,birth_year,phone,time_zone,tags,persona';
let tmp: string;
let n = 0;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'zvonar-import-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A campaign file (with a schedule) whose contact list holds `csv`. */
function campaignFile(csv: string | Buffer, opts: { slots?: boolean } = {}): string {
  const id = `import-${++n}`;
  const contacts = join(tmp, `${id}.csv`);
  writeFileSync(contacts, csv);
  const file = join(tmp, `${id}.yaml`);
  writeFileSync(file, [
    `id: ${id}`, 'name: import test', 'kind: cold', `dialog: ${resolve('dialogs/dispanserization-invite.yaml')}`, `contacts: ${contacts}`,
    ...(opts.slots === false ? [] : ['slots: { specialty: therapist, resources: [t-1], days: 1, from: "08:00", to: "09:00", minutes: 20 }']), '',
  ].join('\n'));
  return file;
}

const patient = (externalId: string, p: Partial<NewPatient> = {}): NewPatient => ({
  externalId, lastName: 'Иванова', firstName: 'Анна', middleName: 'Петровна', birthYear: 1961, phone: '+79185550101',
  timeZone: 'Europe/Moscow', tags: ['adult'], ...p,
});

async function count(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]!.n;
}

/** A Db whose queries matching `fails` throw, as a dropped connection or a constraint would. */
function failing(db: Db, fails: RegExp): Db {
  const wrap = (d: Db): Db => ({
    ...d,
    query: (sql, params) => (fails.test(sql) ? Promise.reject(new Error('connection lost')) : d.query(sql, params)),
    tx: (fn) => d.tx((t) => fn(wrap(t))),
  });
  return wrap(db);
}

for (const target of databases) {
  describe(`contact import on ${target.name}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await target.open();
    });
    afterAll(async () => db?.close());

    it('importPatients() counts new and changed patients, and a re-import never blanks a field the new data lacks', async () => {
      const first = await importPatients(db, [patient('IMP-1'), patient('IMP-2'), patient('IMP-3')]);
      expect(first).toMatchObject({ created: 3, updated: 0 });
      const again = await importPatients(db, [
        patient('IMP-1', { middleName: null, birthYear: null, tags: [] }), // lacks fields: keeps the stored ones, not a change
        patient('IMP-2', { lastName: 'Петрова' }), // married: a change
        patient('IMP-3'), // the same: not a change
        patient('IMP-4'),
      ]);
      expect(again).toMatchObject({ created: 1, updated: 1 });
      expect(again.ids.slice(0, 3)).toEqual(first.ids);
      const { rows } = await db.query<{ external_id: string; last_name: string; middle_name: string | null; birth_year: number | null; tags: string[] }>(
        `select external_id, last_name, middle_name, birth_year, tags from patient where external_id like 'IMP-%' order by external_id`);
      expect(rows).toEqual([
        { external_id: 'IMP-1', last_name: 'Иванова', middle_name: 'Петровна', birth_year: 1961, tags: ['adult'] },
        { external_id: 'IMP-2', last_name: 'Петрова', middle_name: 'Петровна', birth_year: 1961, tags: ['adult'] },
        { external_id: 'IMP-3', last_name: 'Иванова', middle_name: 'Петровна', birth_year: 1961, tags: ['adult'] },
        { external_id: 'IMP-4', last_name: 'Иванова', middle_name: 'Петровна', birth_year: 1961, tags: ['adult'] },
      ]);
    });

    it('importPatients() returns ids in input order across batches, patients without an external id always new', async () => {
      const input = Array.from({ length: 2500 }, (_, i) => patient(i % 2 ? `ORD-${i}` : '', {
        externalId: i % 2 ? `ORD-${i}` : null, phone: `+7918${String(1_000_000 + i).padStart(7, '0')}`,
      }));
      const r = await importPatients(db, input);
      expect(r).toMatchObject({ created: 2500, updated: 0 });
      const { rows } = await db.query<{ id: string; phone: string }>(`select id, phone from patient where id = any($1::bigint[])`, [r.ids]);
      const phoneOf = new Map(rows.map((x) => [x.id, x.phone]));
      expect(r.ids.map((id) => phoneOf.get(id))).toEqual(input.map((p) => p.phone));
    });

    it('createCampaignFrom() enrols good rows with their extra columns as attributes and reports the rejected ones', async () => {
      const src = readCampaign(campaignFile(`${HEADER}\n` +
        'LD-1,Иванова,Анна,,1961,+79185550201,Europe/Moscow,,agree\n' +
        'LD-2,Петров,Сергей,,1958,12345,Europe/Moscow,,decline\n' +
        'LD-3,Смирнова,Ольга,,1970,+79185550203,Europe/Moscow,,\n'));
      const r = await createCampaignFrom(db, src, { now: NOW, timeZone: 'Europe/Moscow' });
      expect(r).toMatchObject({ imported: 2, patients: { created: 2, updated: 0 }, slots: 3 });
      expect(r.rejected).toEqual([{ line: 3, column: 'phone', problem: expect.stringMatching(/not a valid phone number/) }]);
      const { rows } = await db.query<{ phone: string; persona: string | null }>(
        `select phone, attributes->>'persona' as persona from campaign_contact where campaign_id = $1 order by phone`, [r.campaign.id]);
      expect(rows).toEqual([{ phone: '+79185550201', persona: 'agree' }, { phone: '+79185550203', persona: '' }]);
    });

    it('createCampaignFrom() that fails after the contacts leaves nothing written, and the same file loads after', async () => {
      const file = campaignFile(`${HEADER}\nTX-1,Иванова,Анна,,1961,+79185550301,Europe/Moscow,,\n`);
      const before = { campaigns: await count(db, 'campaign'), patients: await count(db, 'patient'), contacts: await count(db, 'campaign_contact'), slots: await count(db, 'slot') };
      await expect(createCampaignFrom(failing(db, /insert into slot/), readCampaign(file), { now: NOW, timeZone: 'Europe/Moscow' })).rejects.toThrow('connection lost');
      expect({ campaigns: await count(db, 'campaign'), patients: await count(db, 'patient'), contacts: await count(db, 'campaign_contact'), slots: await count(db, 'slot') }).toEqual(before);
      const r = await createCampaignFrom(db, readCampaign(file), { now: NOW, timeZone: 'Europe/Moscow' });
      expect(r).toMatchObject({ imported: 1, slots: 3 });
    });

    it('createCampaignFrom() with every row rejected writes nothing and fails with CONTACT_INVALID listing the rows', async () => {
      const file = campaignFile(`${HEADER}\nNO-1,Иванова,Анна,,1961,12345,Europe/Moscow,,\nNO-2,Петров,Сергей,,1958,+79185550402,MSK,,\n`);
      const before = await count(db, 'campaign');
      const err = await createCampaignFrom(db, readCampaign(file), { now: NOW, timeZone: 'Europe/Moscow' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContactError);
      expect((err as ContactError).code).toBe('CONTACT_INVALID');
      expect((err as ContactError).message).toMatch(/^no contact could be imported: all 2 rows were rejected \(line 2, column phone: .*; line 3, column time_zone: .*\)$/);
      expect(await count(db, 'campaign')).toBe(before);
    });

    it('createCampaignFrom() of 10,001 contacts imports them all and reports progress every 10,000', async () => {
      const rows = Array.from({ length: 10_001 }, (_, i) => `BULK-${i},Иванова,Анна,,1961,+7901${String(i).padStart(7, '0')},Europe/Moscow,,agree`);
      const src = readCampaign(campaignFile(`${HEADER}\n${rows.join('\n')}\n`, { slots: false }));
      const progress: [number, number][] = [];
      const r = await createCampaignFrom(db, src, { now: NOW, timeZone: 'Europe/Moscow', onProgress: (done, total) => progress.push([done, total]) });
      expect(r).toMatchObject({ imported: 10_001, patients: { created: 10_001, updated: 0 }, rejected: [] });
      expect(progress).toEqual([[10_000, 10_001], [10_001, 10_001]]);
      const { rows: personas } = await db.query<{ n: number }>(
        `select count(*)::int as n from campaign_contact where campaign_id = $1 and attributes->>'persona' = 'agree'`, [r.campaign.id]);
      expect(personas[0]!.n).toBe(10_001);
    });

    it('a 5 MB cell never reaches the database: its row is rejected, the rest imported', async () => {
      const huge = 'Я'.repeat(5 * 1024 * 1024);
      const src = readCampaign(campaignFile(`${HEADER}\nBIG-1,${huge},Анна,,1961,+79185550501,Europe/Moscow,,\nBIG-2,Петров,Сергей,,1958,+79185550502,Europe/Moscow,,\n`, { slots: false }));
      const r = await createCampaignFrom(db, src, { now: NOW, timeZone: 'Europe/Moscow' });
      expect(r.imported).toBe(1);
      expect(r.rejected).toEqual([{ line: 2, problem: expect.stringMatching(/^the line is 5,242,\d{3} characters long; at most 1000 are read$/) }]);
      const { rows } = await db.query<{ longest: number }>(`select max(length(last_name) + length(first_name) + coalesce(length(middle_name), 0))::int as longest from patient`);
      expect(rows[0]!.longest).toBeLessThan(100);
    });
  });
}

describe('runLoad() (`zvonar load`) on PGlite in a folder', () => {
  // one registry for both tests: a PGlite folder's first open is an initdb, ~15 s here
  const dataDir = () => join(tmp, 'load-registry');
  const cfg = () => Config.parse({
    clinic: { name: 'test' }, telephony: { kind: 'sim' }, trunk: { from: '+78632000000' }, speech: { kind: 'embedded', voices: ['modem'], recognizer: 'none' },
    database: { dataDir: dataDir() }, log: { level: 'silent' },
  });

  it('says how many rows were imported, new and updated, and names each rejected row', async () => {
    const out: string[] = [];
    await runLoad(cfg(), campaignFile(`${HEADER}\nCLI-1,Иванова,Анна,,1961,+79185550601,Europe/Moscow,,\n`), (l) => out.push(l));
    out.length = 0;
    await runLoad(cfg(), campaignFile(`${HEADER}\n` +
      'CLI-1,Иванова,Анна,Петровна,1961,+79185550601,Europe/Moscow,,\n' +
      'CLI-2,Петров,Сергей,,1958,+79185550602,Europe/Moscow,,\n' +
      'CLI-3,Смирнова,Ольга,,1970,+79185550603,Europe/Moskow,,\n'), (l) => out.push(l));
    expect(out).toEqual([
      `campaign import-${n}: 2 imported (1 new patients, 1 updated), 1 rejected, 3 slots created`,
      '  line 4, column time_zone: must be an IANA time zone such as Europe/Moscow; did you mean Europe/Moscow? [CONTACT_INVALID]',
    ]);
  });

  it('refuses a file whose every row is bad, writing nothing, so the fixed file loads after', async () => {
    const bad = `${HEADER}\nALL-1,Иванова,Анна,,1961,12345,Europe/Moscow,,\n`;
    const file = campaignFile(bad);
    const printed: string[] = [];
    const err = await runLoad(cfg(), file, (l) => printed.push(l)).catch((e: unknown) => e);
    expect((err as ZvonarError).describe()).toContain('no contact could be imported');
    expect(printed).toEqual(['  line 2, column phone: is not a valid phone number (write it as +7XXXXXXXXXX or 8XXXXXXXXXX) [CONTACT_INVALID]']);
    writeFileSync(readCampaign(file).file.contactsPath, bad.replace('12345', '+79185550701'));
    const out: string[] = [];
    await runLoad(cfg(), file, (l) => out.push(l));
    expect(out[0]).toMatch(/: 1 imported \(1 new patients, 0 updated\), 0 rejected, 3 slots created$/);
    const db = await openPglite(dataDir());
    try {
      const { rows } = await db.query(`select id from campaign where id = $1`, [`import-${n}`]);
      expect(rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});
