-- The registry: patients, campaigns, campaign contacts, attempts, slots, bookings, do-not-call.
-- Never edit a migration that has landed: add the next numbered file.

create extension if not exists btree_gist;

create table patient (
  id            bigserial primary key,
  external_id   text unique,                 -- the clinic's own id (MIS), when it has one
  last_name     text not null,
  first_name    text not null,
  middle_name   text,
  birth_year    int check (birth_year between 1900 and 2100),
  phone         text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),   -- E.164
  time_zone     text not null,               -- IANA, from the address or attachment
  tags          text[] not null default '{}',
  created_at    timestamptz not null default now()
);
create index patient_phone on patient (phone);

create table campaign (
  id              text primary key,
  name            text not null,
  kind            text not null check (kind in ('cold', 'warm')),
  dialog_id       text not null,
  dialog_version  text not null,
  status          text not null default 'active' check (status in ('active', 'paused', 'done')),
  rules           jsonb not null default '{}',
  created_at      timestamptz not null default now()
);

create table campaign_contact (
  id                bigserial primary key,
  campaign_id       text not null references campaign (id),
  patient_id        bigint not null references patient (id),
  phone             text not null,            -- the number to dial, E.164 (families share phones)
  priority          int not null default 100, -- lower is called first
  state             text not null default 'pending' check (state in ('pending', 'done')),
  attempts          int not null default 0,   -- counted attempts only (technical ones are not)
  next_attempt_at   timestamptz,
  last_disposition  text,
  lease_owner       text,
  lease_until       timestamptz,
  created_at        timestamptz not null default now(),
  unique (campaign_id, patient_id)
);
create index campaign_contact_due on campaign_contact (campaign_id, state, next_attempt_at);

create table attempt (
  id                  bigserial primary key,
  call_id             text not null unique,
  campaign_contact_id bigint not null references campaign_contact (id),
  campaign_id         text not null references campaign (id),
  patient_id          bigint not null references patient (id),
  dialog_id           text not null,
  dialog_version      text not null,
  started_at          timestamptz not null,
  answered_at         timestamptz,
  ended_at            timestamptz,
  disposition         text,                   -- null while the call is under way
  counted             boolean not null default true,
  sip_status          int,
  hangup_by           text check (hangup_by in ('robot', 'callee', 'system')),
  transcript          jsonb not null default '[]',
  slot_id             bigint,                 -- the slot this call booked
  error               text                    -- error code when the engine failed
);
create index attempt_contact on attempt (campaign_contact_id);
create index attempt_campaign on attempt (campaign_id, disposition);
-- the sweep for attempts left open by a dialer that died reads only these
create index attempt_open on attempt (campaign_contact_id) where disposition is null;

create table slot (
  id               bigserial primary key,
  resource         text not null,             -- the doctor's or room's id in the MIS
  specialty        text not null,
  starts_at        timestamptz not null,
  ends_at          timestamptz not null,
  -- FHIR Slot.status
  status           text not null default 'free' check (status in ('free', 'busy', 'busy-tentative', 'busy-unavailable')),
  hold_call_id     text,                      -- the call holding it while busy-tentative
  hold_expires_at  timestamptz,
  check (ends_at > starts_at),
  check ((status = 'busy-tentative') = (hold_call_id is not null))
);
create index slot_free on slot (specialty, status, starts_at);

create table booking (
  id          bigserial primary key,
  slot_id     bigint not null references slot (id),
  patient_id  bigint not null references patient (id),
  attempt_id  bigint references attempt (id),
  resource    text not null,
  during      tstzrange not null,
  -- FHIR Appointment.status
  status      text not null default 'booked' check (status in ('proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
  created_at  timestamptz not null default now(),
  -- The last line of defence against double booking: one resource, no overlapping live bookings.
  exclude using gist (resource with =, during with &&) where (status <> 'cancelled')
);
create unique index booking_live_slot on booking (slot_id) where status <> 'cancelled';

alter table attempt add foreign key (slot_id) references slot (id);

create table do_not_call (
  phone      text primary key,                -- E.164
  reason     text not null,
  source     text not null,                   -- 'patient', 'operator', 'import', ...
  added_at   timestamptz not null default now()
);
