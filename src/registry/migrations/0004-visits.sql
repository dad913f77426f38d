-- Reminders about visits already booked (warm campaigns): which visit a contact is about, and
-- what the patient said of it in the call (confirmed, cancelled, moved to another slot).
-- Never edit a migration that has landed: add the next file.

-- The visit a reminder is about; null for contacts that are not about one (invitations).
alter table campaign_contact add column booking_id bigint references booking (id);

-- FHIR Appointment has no "confirmed" status: the patient's yes is an AppointmentResponse
-- (participantStatus accepted), kept as when and in which call, and the status stays booked.
alter table booking add column confirmed_at timestamptz;
alter table booking add column confirmed_attempt_id bigint references attempt (id);
-- Who cancelled, and when: a call's attempt, or null when the clinic did. A cancelled booking
-- leaves the exclusion constraint and booking_live_slot, so its slot can be booked again.
alter table booking add column cancelled_at timestamptz;
alter table booking add column cancelled_attempt_id bigint references attempt (id);
-- A visit moved to another slot is a new booking that replaces the cancelled one (FHIR R5
-- Appointment.replaces); a retried move finds its own result through it.
alter table booking add column replaces_id bigint references booking (id);
create index booking_replaces on booking (replaces_id) where replaces_id is not null;
