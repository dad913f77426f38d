-- Leasing by index (issue 12). The lease read every patient row, computed its local time and
-- sorted all due contacts before LIMIT: 5 contacts/s at 1M contacts against 750/s at 10k.
-- Now each contact carries its callee's zone, the calling hours are decided once per zone
-- (src/dialer/rules/calling-window.ts), and the lease walks this index per open zone in the
-- dialling order and stops at LIMIT. The zone follows the patient's (triggers below), so every
-- writer of either table keeps them equal.
alter table campaign_contact add column time_zone text;
update campaign_contact c set time_zone = p.time_zone from patient p where p.id = c.patient_id;
alter table campaign_contact alter column time_zone set not null;

create function campaign_contact_zone() returns trigger language plpgsql as $$
begin
  select p.time_zone into new.time_zone from patient p where p.id = new.patient_id;
  return new;
end $$;
create trigger campaign_contact_zone before insert on campaign_contact
  for each row when (new.time_zone is null) execute function campaign_contact_zone();

create function patient_zone_moves() returns trigger language plpgsql as $$
begin
  update campaign_contact set time_zone = new.time_zone where patient_id = new.id;
  return null;
end $$;
create trigger patient_zone_moves after update of time_zone on patient
  for each row when (old.time_zone is distinct from new.time_zone) execute function patient_zone_moves();

create index campaign_contact_lease on campaign_contact (campaign_id, time_zone, priority, next_attempt_at, id) where state = 'pending';
create index campaign_contact_patient on campaign_contact (patient_id);
drop index campaign_contact_due;
