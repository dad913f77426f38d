import type { Db } from './db.js';

// What a clinic takes out of the registry: its MIS reads attempts and bookings, its operators
// work the call-back list. One row per line, snake_case columns as in the tables, times as Date.
// These rows carry patient data: they go to the clinic's own files, never to logs.

export interface AttemptExportRow {
  call_id: string;
  contact_id: string;
  patient_external_id: string | null;
  phone: string;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  disposition: string | null;
  sip_status: number | null;
  counted: boolean;
  error: string | null;
  slot_id: string | null;
  dialog_id: string;
  dialog_version: string;
  /** which text of the script the call ran (live-script.ts) */
  dialog_hash: string | null;
}

/** Every attempt of a campaign, oldest first, with the number dialled. */
export async function exportAttempts(db: Db, p: { campaignId: string }): Promise<AttemptExportRow[]> {
  const { rows } = await db.query<AttemptExportRow>(
    `select a.call_id, a.campaign_contact_id as contact_id, pt.external_id as patient_external_id, cc.phone,
       a.started_at, a.answered_at, a.ended_at, a.disposition, a.sip_status, a.counted, a.error, a.slot_id,
       a.dialog_id, a.dialog_version, a.dialog_hash
     from attempt a
       join campaign_contact cc on cc.id = a.campaign_contact_id
       join patient pt on pt.id = a.patient_id
     where a.campaign_id = $1
     order by a.started_at, a.id`,
    [p.campaignId],
  );
  return rows;
}

export interface BookingExportRow {
  booking_id: string;
  patient_external_id: string | null;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  phone: string;
  resource: string;
  specialty: string;
  starts_at: Date;
  status: string;
  call_id: string | null;
}

/** Every booking a campaign's calls made, cancelled ones too (the MIS must learn of those), by time. */
export async function exportBookings(db: Db, p: { campaignId: string }): Promise<BookingExportRow[]> {
  const { rows } = await db.query<BookingExportRow>(
    `select b.id as booking_id, pt.external_id as patient_external_id, pt.last_name, pt.first_name, pt.middle_name,
       pt.phone, s.resource, s.specialty, s.starts_at, b.status, a.call_id
     from booking b
       join slot s on s.id = b.slot_id
       join patient pt on pt.id = b.patient_id
       left join attempt a on a.id = b.attempt_id
     where b.campaign_id = $1
     order by s.starts_at, s.resource, b.id`,
    [p.campaignId],
  );
  return rows;
}

export interface CallbackExportRow {
  callback_id: string;
  contact_id: string;
  patient_external_id: string | null;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  phone: string;
  reason: string;
  due_at: Date;
  status: string;
  created_at: Date;
  call_id: string | null;
}

/** The campaign's call-back list: open entries first, each status by when it is due. */
export async function exportCallbacks(db: Db, p: { campaignId: string }): Promise<CallbackExportRow[]> {
  const { rows } = await db.query<CallbackExportRow>(
    `select cb.id as callback_id, cb.campaign_contact_id as contact_id, pt.external_id as patient_external_id,
       pt.last_name, pt.first_name, pt.middle_name, cb.phone, cb.reason, cb.due_at, cb.status, cb.created_at, a.call_id
     from callback cb
       join patient pt on pt.id = cb.patient_id
       left join attempt a on a.id = cb.attempt_id
     where cb.campaign_id = $1
     order by cb.status <> 'open', cb.status, cb.due_at, cb.id`,
    [p.campaignId],
  );
  return rows;
}
