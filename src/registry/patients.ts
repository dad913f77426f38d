import type { Patient } from '../core/index.js';
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

/** Inserts patients; one with a known external id is updated in place. Returns ids in input order. */
export async function upsertPatients(db: Db, patients: NewPatient[]): Promise<string[]> {
  const ids: string[] = [];
  for (const p of patients) {
    const { rows } = await db.query<{ id: string }>(
      `insert into patient (external_id, last_name, first_name, middle_name, birth_year, phone, time_zone, tags)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (external_id) do update set last_name = excluded.last_name, first_name = excluded.first_name,
         middle_name = excluded.middle_name, birth_year = excluded.birth_year, phone = excluded.phone,
         time_zone = excluded.time_zone, tags = excluded.tags
       returning id`,
      [p.externalId ?? null, p.lastName, p.firstName, p.middleName, p.birthYear, p.phone, p.timeZone, p.tags],
    );
    ids.push(rows[0]!.id);
  }
  return ids;
}
