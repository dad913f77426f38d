import { ZvonarError, type Campaign, type CampaignRules } from '../core/index.js';
import type { Db } from './db.js';
import { importPatients, type NewPatient } from './patients.js';

interface CampaignRow {
  id: string;
  name: string;
  kind: Campaign['kind'];
  dialog_id: string;
  dialog_version: string;
  status: Campaign['status'];
  rules: CampaignRules;
}

const toCampaign = (r: CampaignRow): Campaign => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  dialogId: r.dialog_id,
  dialogVersion: r.dialog_version,
  status: r.status,
  rules: r.rules,
});

/** Rejects with CAMPAIGN_EXISTS when the id is taken. */
export async function createCampaign(db: Db, c: Omit<Campaign, 'status'> & { status?: Campaign['status'] }): Promise<Campaign> {
  const { rows } = await db.query<CampaignRow>(
    `insert into campaign (id, name, kind, dialog_id, dialog_version, status, rules)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing returning *`,
    [c.id, c.name, c.kind, c.dialogId, c.dialogVersion, c.status ?? 'active', JSON.stringify(c.rules)],
  );
  if (!rows[0]) throw new ZvonarError('CAMPAIGN_EXISTS', `campaign "${c.id}" already exists`, { campaignId: c.id });
  return toCampaign(rows[0]);
}

/** Rejects with CAMPAIGN_NOT_FOUND. */
export async function getCampaign(db: Db, id: string): Promise<Campaign> {
  const { rows } = await db.query<CampaignRow>(`select * from campaign where id = $1`, [id]);
  if (!rows[0]) throw new ZvonarError('CAMPAIGN_NOT_FOUND', `campaign "${id}" does not exist`, { campaignId: id });
  return toCampaign(rows[0]);
}

export async function listCampaigns(db: Db, p: { status?: Campaign['status'] } = {}): Promise<Campaign[]> {
  const { rows } = await db.query<CampaignRow>(
    `select * from campaign where $1::text is null or status = $1 order by created_at, id`,
    [p.status ?? null],
  );
  return rows.map(toCampaign);
}

export async function setCampaignStatus(db: Db, p: { id: string; status: Campaign['status'] }): Promise<void> {
  await db.query(`update campaign set status = $2 where id = $1`, [p.id, p.status]);
}

/**
 * Adds patients to a campaign, due from `at`; a patient already in it is left unchanged.
 * `attributes[i]` (the contact list's extra columns, e.g. persona) goes with `patientIds[i]`.
 * One statement per 1,000 patients (see importPatients). Returns how many were added.
 */
export async function enrolPatients(
  db: Db,
  p: {
    campaignId: string; patientIds: readonly string[]; at: Date; priority?: number; attributes?: readonly Record<string, string>[];
    /** per patient, in the same order: its dialling priority (null: `priority`) */
    priorities?: readonly (number | null)[];
  },
): Promise<number> {
  let added = 0;
  for (let from = 0; from < p.patientIds.length; from += 1000) {
    const batch = p.patientIds.slice(from, from + 1000).map((id, i) => ({
      patient_id: id, attributes: p.attributes?.[from + i] ?? {}, priority: p.priorities?.[from + i] ?? p.priority ?? 100,
    }));
    const { rows } = await db.query<{ n: number }>(`
      with added as (
        insert into campaign_contact (campaign_id, patient_id, phone, time_zone, priority, next_attempt_at, attributes)
        select $1, p.id, p.phone, p.time_zone, e.priority, $2, e.attributes
        from jsonb_to_recordset($3::jsonb) as e(patient_id bigint, attributes jsonb, priority int)
        join patient p on p.id = e.patient_id
        on conflict (campaign_id, patient_id) do nothing
        returning 1)
      select count(*)::int as n from added`,
      [p.campaignId, p.at, JSON.stringify(batch)],
    );
    added += rows[0]!.n;
  }
  return added;
}

/** What importing a contact list into a campaign did. */
export interface ContactImport {
  /** contacts added to the campaign */
  enrolled: number;
  /** contacts already in it (a list imported again): left as they are */
  already: number;
  /** of their patients: how many were new, and how many known ones had a field changed */
  patients: { created: number; updated: number };
}

/** Contacts per step of an import: one transaction, and one progress report, each. */
export const IMPORT_STEP = 10_000;

/**
 * Imports contacts into a campaign, due from `at`: their patients are created or updated (see
 * importPatients: by external id, else by number and name), then enrolled with their priority
 * and extra columns. Importing the same list again changes nothing. Each IMPORT_STEP contacts
 * are one transaction, so a failure keeps the steps before it and the import can be run again.
 */
export async function importContacts(
  db: Db,
  p: {
    campaignId: string; at: Date;
    contacts: readonly (NewPatient & { priority?: number | null; extra?: Record<string, string> })[];
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ContactImport> {
  const out: ContactImport = { enrolled: 0, already: 0, patients: { created: 0, updated: 0 } };
  for (let from = 0; from < p.contacts.length; from += IMPORT_STEP) {
    const part = p.contacts.slice(from, from + IMPORT_STEP);
    await db.tx(async (t) => {
      const saved = await importPatients(t, part);
      out.patients.created += saved.created;
      out.patients.updated += saved.updated;
      const enrolled = await enrolPatients(t, {
        campaignId: p.campaignId, patientIds: saved.ids, at: p.at, attributes: part.map((x) => x.extra ?? {}), priorities: part.map((x) => x.priority ?? null),
      });
      out.enrolled += enrolled;
      out.already += new Set(saved.ids).size - enrolled;
    });
    p.onProgress?.(from + part.length, p.contacts.length);
  }
  return out;
}

/**
 * A campaign whose end date has passed: its open contacts (but those on a call now, whose call's
 * end closes them) become EXPIRED, and the campaign is done. Returns how many contacts expired.
 */
export async function expireCampaign(db: Db, p: { campaignId: string; now: Date }): Promise<number> {
  return db.tx(async (t) => {
    const { rows } = await t.query(
      `update campaign_contact c set state = 'done', last_disposition = 'EXPIRED', next_attempt_at = null, lease_owner = null, lease_until = null
       where c.campaign_id = $1 and c.state = 'pending'
         and not exists (select 1 from attempt a where a.campaign_contact_id = c.id and a.disposition is null)
       returning c.id`,
      [p.campaignId],
    );
    await t.query(`update campaign set status = 'done' where id = $1`, [p.campaignId]);
    return rows.length;
  });
}
