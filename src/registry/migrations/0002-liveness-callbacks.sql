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
-- A registry that already holds such a double booking (the defect this guards against) is not
-- changed behind the clinic's back: the migration stops and names the bookings to settle.
do $$
declare twice text;
begin
  select string_agg(format('campaign %s, patient %s: bookings %s', campaign_id, patient_id, ids), '; ') into twice
  from (select campaign_id, patient_id, string_agg(id::text, ', ' order by id) as ids from booking
        where status <> 'cancelled' and campaign_id is not null
        group by campaign_id, patient_id having count(*) > 1) d;
  if twice is not null then
    raise exception 'patients booked twice in one campaign; cancel one booking of each (status = ''cancelled'') and migrate again: %', twice;
  end if;
end $$;
create unique index booking_live_patient on booking (campaign_id, patient_id) where status <> 'cancelled';

-- One open attempt per contact at most: the lease and startAttempt() decide who dials, and this
-- index backs them up. Open duplicates left by the defect above are closed first (the older ones).
update attempt a set disposition = 'INTERRUPTED', counted = false, ended_at = a.started_at, hangup_by = 'system', error = 'ENGINE_STOPPED'
where a.disposition is null
  and exists (select 1 from attempt b where b.campaign_contact_id = a.campaign_contact_id and b.disposition is null and b.id > a.id);
create unique index attempt_open_contact on attempt (campaign_contact_id) where disposition is null;

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
