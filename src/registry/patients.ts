import { RegistryError, type Patient } from '../core/index.js';
import type { Db } from './db.js';

export type NewPatient = Omit<Patient, 'id'> & { externalId?: string | null };

export interface PatientRow {
  id: string;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  birth_year: number | null;
  phone: string;
  time_zone: string;
  tags: string[];
}

export const toPatient = (r: PatientRow): Patient => ({
  id: r.id,
  lastName: r.last_name,
  firstName: r.first_name,
  middleName: r.middle_name,
  birthYear: r.birth_year,
  phone: r.phone,
  timeZone: r.time_zone,
  tags: r.tags,
});

/** What an import did to the patient table. `ids` are in input order. */
export interface PatientImport {
  ids: string[];
  /** patients inserted */
  created: number;
  /** patients found by external id whose stored fields changed */
  updated: number;
}

// Rows per statement. Measured on 100,000 rows (bench/import.ts): one statement per row took
// ~80 s on PGlite; batches of 1,000 make the round trips negligible and keep each JSON
// parameter near 200 kB.
const BATCH = 1000;

/**
 * Inserts patients; one whose external id is known is updated in place and counted in `updated`
 * when a field changed. An update never blanks a field the new data lacks: a null middle name or
 * birth year, or no tags, keeps the stored one. One without an external id is the patient with
 * the same number and name, when there is one (left as it is), so importing a list twice adds
 * nobody. One statement per 1,000 patients.
 */
export async function importPatients(db: Db, patients: readonly NewPatient[]): Promise<PatientImport> {
  const out: PatientImport = { ids: [], created: 0, updated: 0 };
  let batch: NewPatient[] = [];
  let externalIds = new Set<string>();
  const flush = async () => {
    if (!batch.length) return;
    const rows = await upsertPatientBatch(db, batch);
    for (const r of rows) {
      out.ids.push(r.id);
      if (r.created) out.created++;
      else if (r.changed) out.updated++;
    }
    batch = [];
    externalIds = new Set();
  };
  for (const p of patients) {
    // One statement cannot update a row twice (ON CONFLICT DO UPDATE): a repeated id starts a new batch.
    if (batch.length === BATCH || (p.externalId != null && externalIds.has(p.externalId))) await flush();
    batch.push(p);
    if (p.externalId != null) externalIds.add(p.externalId);
  }
  await flush();
  return out;
}

/** As importPatients(), returning the ids only. */
export async function upsertPatients(db: Db, patients: readonly NewPatient[]): Promise<string[]> {
  return (await importPatients(db, patients)).ids;
}

/**
 * One statement for up to a batch of patients, with no external id twice. Each input row gets a
 * fresh id from the sequence up front, so the answer is matched to the input by that id (a new
 * patient) or by external id (an existing one) and comes back in input order, without trusting
 * the order of RETURNING. Every part of a WITH query sees the same snapshot, so `before`, read
 * from the table itself, holds the fields as they were before this statement updated them.
 */
async function upsertPatientBatch(db: Db, batch: readonly NewPatient[]): Promise<{ id: string; created: boolean; changed: boolean }[]> {
  const input = batch.map((p) => ({
    external_id: p.externalId ?? null, last_name: p.lastName, first_name: p.firstName, middle_name: p.middleName,
    birth_year: p.birthYear, phone: p.phone, time_zone: p.timeZone, tags: p.tags,
  }));
  const { rows } = await db.query<{ id: string | null; created: boolean; changed: boolean }>(`
    with input as materialized (
      select nextval('patient_id_seq') as new_id, e.ord,
        e.v->>'external_id' as external_id, e.v->>'last_name' as last_name, e.v->>'first_name' as first_name,
        e.v->>'middle_name' as middle_name, (e.v->>'birth_year')::int as birth_year,
        e.v->>'phone' as phone, e.v->>'time_zone' as time_zone,
        array(select jsonb_array_elements_text(e.v->'tags')) as tags,
        -- without an external id a person is known by number and name (a family shares a number)
        case when e.v->>'external_id' is null then
          (select x.id from patient x where x.external_id is null and x.phone = e.v->>'phone'
             and x.last_name = e.v->>'last_name' and x.first_name = e.v->>'first_name' order by x.id limit 1)
        end as known_id
      from jsonb_array_elements($1::jsonb) with ordinality as e(v, ord)
    ),
    saved as (
      insert into patient (id, external_id, last_name, first_name, middle_name, birth_year, phone, time_zone, tags)
      select new_id, external_id, last_name, first_name, middle_name, birth_year, phone, time_zone, tags from input where known_id is null
      on conflict (external_id) do update set
        last_name = excluded.last_name,
        first_name = excluded.first_name,
        middle_name = coalesce(excluded.middle_name, patient.middle_name),
        birth_year = coalesce(excluded.birth_year, patient.birth_year),
        phone = excluded.phone,
        time_zone = excluded.time_zone,
        tags = case when cardinality(excluded.tags) = 0 then patient.tags else excluded.tags end
      returning *
    )
    select coalesce(ins.id, upd.id, i.known_id) as id, ins.id is not null as created,
      upd.id is not null and
        (before.last_name, before.first_name, before.middle_name, before.birth_year, before.phone, before.time_zone, before.tags)
        is distinct from (upd.last_name, upd.first_name, upd.middle_name, upd.birth_year, upd.phone, upd.time_zone, upd.tags) as changed
    from input i
    left join saved ins on ins.id = i.new_id
    left join saved upd on upd.external_id = i.external_id and upd.id <> i.new_id
    left join patient before on before.id = upd.id
    order by i.ord`, [JSON.stringify(input)]);
  return rows.map((r, i) => {
    if (r.id === null) throw new RegistryError('INTERNAL', `patient ${i} of a batch was neither inserted nor updated`);
    return { id: r.id, created: r.created, changed: r.changed };
  });
}
