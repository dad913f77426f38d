-- Liveness, one live booking per patient and campaign, the operators' call-back list, and the
-- contact list's extra columns. Never edit a migration that has landed: add the next file.

-- Every dialer process, with its heartbeat. A dialer whose heartbeat is older than the lease is
-- dead: the next dialer closes its open attempts as of its last heartbeat (the crash time) and
-- frees its holds; its contacts' leases, renewed with each heartbeat, have lapsed by then.
create table dialer (
  id            text primary key,
  host          text not null,
  pid           int not null,
  started_at    timestamptz not null,
  heartbeat_at  timestamptz not null,
  stopped_at    timestamptz                  -- set when it stopped cleanly
);

-- Which dialer placed the call, so that its liveness decides whether the attempt is orphaned.
alter table attempt add column dialer_id text references dialer (id);

-- The registry itself refuses a second live booking of one patient in one campaign, as the
-- slot's exclusion constraint refuses a second booking of one time.
alter table booking add column campaign_id text references campaign (id);
update booking b set campaign_id = a.campaign_id from attempt a where a.id = b.attempt_id;
create unique index booking_live_patient on booking (campaign_id, patient_id) where status <> 'cancelled';

-- Promised calls that a person makes: the operators' call-back list. One open entry per contact.
create table callback (
  id                  bigserial primary key,
  campaign_contact_id bigint not null references campaign_contact (id),
  campaign_id         text not null references campaign (id),
  patient_id          bigint not null references patient (id),
  attempt_id          bigint references attempt (id),
  phone               text not null,           -- E.164, the number to call back
  reason              text not null,           -- the disposition that promised it
  due_at              timestamptz not null,
  status              text not null default 'open' check (status in ('open', 'done', 'cancelled')),
  created_at          timestamptz not null default now()
);
create unique index callback_open_contact on callback (campaign_contact_id) where status = 'open';
create index callback_due on callback (campaign_id, status, due_at);

-- Columns of the contact list beyond the patient's own (e.g. the simulated callee's persona).
alter table campaign_contact add column attributes jsonb not null default '{}';
