import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCampaign, toCsv } from '../../src/app/index.js';
import { ZvonarError } from '../../src/core/index.js';
import { contactPersonas, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';

/**
 * What a clinic takes out of the registry for its MIS and its call-back list, on PGlite and on
 * PostgreSQL. Rows are written with plain SQL, as the registry holds them.
 */
const T0 = new Date('2025-06-02T07:00:00.000Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

/** Two campaigns; "exp" has two patients (one with a name that needs CSV quoting), "other" one. */
async function seed(db: Db) {
  const one = async (sql: string, params: unknown[]) => (await db.query<{ id: string }>(sql, params)).rows[0]!.id;
  for (const id of ['exp', 'other', 'empty']) {
    await db.query(`insert into campaign (id, name, kind, dialog_id, dialog_version) values ($1, $1, 'cold', 'invite', '1')`, [id]);
  }
  const patient = (ext: string, last: string, first: string, middle: string | null, phone: string) =>
    one(`insert into patient (external_id, last_name, first_name, middle_name, phone, time_zone) values ($1, $2, $3, $4, $5, 'Europe/Moscow') returning id`,
      [ext, last, first, middle, phone]);
  const anna = await patient('MIS-1', 'Иванова', 'Анна', 'Петровна', '+79185550101');
  const odd = await patient('MIS-2', 'Д"Артаньян, мл.', 'Шарль', null, '+79185550102');
  const third = await patient('MIS-3', 'Петров', 'Сергей', null, '+79185550103');
  const contact = (campaign: string, p: string, phone: string, attributes: object) =>
    one(`insert into campaign_contact (campaign_id, patient_id, phone, next_attempt_at, attributes) values ($1, $2, $3, $4, $5) returning id`,
      [campaign, p, phone, T0, JSON.stringify(attributes)]);
  const cAnna = await contact('exp', anna, '+79185550101', { persona: 'agree' });
  const cOdd = await contact('exp', odd, '+79185550102', { persona: 'busy', note: 'x' });
  const cThird = await contact('other', third, '+79185550103', { persona: 'decline' });
  const attempt = (callId: string, c: string, campaign: string, p: string, start: Date, o: { answered?: Date; ended: Date; disposition: string; sip: number; counted?: boolean; error?: string }) =>
    one(`insert into attempt (call_id, campaign_contact_id, campaign_id, patient_id, dialog_id, dialog_version, started_at, answered_at, ended_at, disposition, sip_status, counted, error)
         values ($1, $2, $3, $4, 'invite', '1', $5, $6, $7, $8, $9, $10, $11) returning id`,
      [callId, c, campaign, p, start, o.answered ?? null, o.ended, o.disposition, o.sip, o.counted ?? true, o.error ?? null]);
  await attempt('call-2', cOdd, 'exp', odd, at(1), { ended: at(1.5), disposition: 'BUSY', sip: 486 });
  const booked = await attempt('call-1', cAnna, 'exp', anna, at(0), { answered: at(0.2), ended: at(2), disposition: 'BOOKED', sip: 200 });
  await attempt('call-3', cThird, 'other', third, at(0), { ended: at(0.5), disposition: 'NETWORK_FAILURE', sip: 503, counted: false, error: 'CALL_FAILED' });
  const slot = await one(`insert into slot (resource, specialty, starts_at, ends_at, status) values ('therapist-101', 'therapist', $1, $2, 'busy') returning id`, [at(1440), at(1460)]);
  await db.query(`update attempt set slot_id = $1 where id = $2`, [slot, booked]);
  const booking = await one(`insert into booking (slot_id, patient_id, attempt_id, campaign_id, resource, during) values ($1, $2, $3, 'exp', 'therapist-101', tstzrange($4, $5)) returning id`,
    [slot, anna, booked, at(1440), at(1460)]);
  await db.query(`insert into callback (campaign_contact_id, campaign_id, patient_id, attempt_id, phone, reason, due_at, status, created_at)
                  values ($1, 'exp', $2, null, '+79185550102', 'CALLBACK_REQUESTED', $3, 'done', $4),
                         ($1, 'exp', $2, null, '+79185550102', 'CALLBACK_REQUESTED', $5, 'open', $4),
                         ($6, 'other', $7, null, '+79185550103', 'CALLBACK_REQUESTED', $3, 'open', $4)`,
    [cOdd, odd, at(60), at(2), at(120), cThird, third]);
  return { cAnna, cOdd, slot, booking };
}

const csvRows = (text: string) => parse(text, { bom: true, columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];

for (const kind of databases) {
  describe(`campaign export on ${kind.name}`, () => {
    let db: Db;
    let ids: Awaited<ReturnType<typeof seed>>;
    beforeAll(async () => {
      db = await kind.open();
      ids = await seed(db);
    });
    afterAll(() => db?.close());

    it('attempts as CSV: BOM, header, CRLF, a row per attempt of this campaign only, oldest first, ISO times', async () => {
      const r = await exportCampaign(db, { campaignId: 'exp', what: 'attempts', format: 'csv' });
      expect(r.rows).toBe(2);
      expect(r.text.startsWith('\uFEFFcall_id,contact_id,patient_external_id,phone,started_at,answered_at,ended_at,disposition,sip_status,counted,error,slot_id,dialog_id,dialog_version,dialog_hash\r\n')).toBe(true);
      expect(r.text.endsWith('\r\n')).toBe(true);
      expect(csvRows(r.text)).toEqual([
        { call_id: 'call-1', contact_id: ids.cAnna, patient_external_id: 'MIS-1', phone: '+79185550101', started_at: at(0).toISOString(), answered_at: at(0.2).toISOString(),
          ended_at: at(2).toISOString(), disposition: 'BOOKED', sip_status: '200', counted: 'true', error: '', slot_id: ids.slot, dialog_id: 'invite', dialog_version: '1', dialog_hash: '' },
        { call_id: 'call-2', contact_id: ids.cOdd, patient_external_id: 'MIS-2', phone: '+79185550102', started_at: at(1).toISOString(), answered_at: '',
          ended_at: at(1.5).toISOString(), disposition: 'BUSY', sip_status: '486', counted: 'true', error: '', slot_id: '', dialog_id: 'invite', dialog_version: '1', dialog_hash: '' },
      ]);
    });

    it('bookings as JSON: the patient, the slot and the call that booked it', async () => {
      const r = await exportCampaign(db, { campaignId: 'exp', what: 'bookings', format: 'json' });
      expect(JSON.parse(r.text)).toEqual([{
        booking_id: ids.booking, patient_external_id: 'MIS-1', last_name: 'Иванова', first_name: 'Анна', middle_name: 'Петровна', phone: '+79185550101',
        resource: 'therapist-101', specialty: 'therapist', starts_at: at(1440).toISOString(), status: 'booked', call_id: 'call-1',
      }]);
    });

    it('callbacks as CSV: open ones first, a name with a quote and a comma survives the round trip', async () => {
      const r = await exportCampaign(db, { campaignId: 'exp', what: 'callbacks', format: 'csv' });
      expect(r.text).toContain('"Д""Артаньян, мл."');
      const rows = csvRows(r.text);
      expect(rows.map((x) => [x.status, x.last_name, x.phone, x.due_at])).toEqual([
        ['open', 'Д"Артаньян, мл.', '+79185550102', at(120).toISOString()],
        ['done', 'Д"Артаньян, мл.', '+79185550102', at(60).toISOString()],
      ]);
      expect(rows[0]!.middle_name).toBe('');
    });

    it('a campaign with nothing to export gives the header only, or []', async () => {
      expect(await exportCampaign(db, { campaignId: 'empty', what: 'bookings', format: 'csv' }))
        .toEqual({ text: '\uFEFFbooking_id,patient_external_id,last_name,first_name,middle_name,phone,resource,specialty,starts_at,status,call_id\r\n', rows: 0 });
      expect(await exportCampaign(db, { campaignId: 'empty', what: 'callbacks', format: 'json' })).toEqual({ text: '[]\n', rows: 0 });
    });

    it('a campaign that does not exist rejects with CAMPAIGN_NOT_FOUND', async () => {
      await expect(exportCampaign(db, { campaignId: 'nope', what: 'attempts', format: 'csv' }))
        .rejects.toSatisfy((e: unknown) => e instanceof ZvonarError && e.code === 'CAMPAIGN_NOT_FOUND');
    });

    it('contactPersonas() maps each number of the campaign to the persona its contact row names, and no other', async () => {
      expect(await contactPersonas(db, { campaignId: 'exp' })).toEqual(new Map([['+79185550101', 'agree'], ['+79185550102', 'busy']]));
      expect(await contactPersonas(db, { campaignId: 'empty' })).toEqual(new Map());
    });
  });
}

describe('toCsv', () => {
  it('quotes fields with commas, quotes, CR or LF (RFC 4180) and leaves others bare', () => {
    expect(toCsv(['a', 'b', 'c', 'd'], [{ a: 'x,y', b: 'say "hi"', c: 'two\nlines', d: 42 }, { a: null, b: undefined, c: false, d: new Date(0) }]))
      .toBe('\uFEFFa,b,c,d\r\n"x,y","say ""hi""","two\nlines",42\r\n,,false,1970-01-01T00:00:00.000Z\r\n');
  });
});
