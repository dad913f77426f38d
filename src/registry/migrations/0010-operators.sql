-- Operators and supervisors: who may sign in, their sessions, what each person changed, and the
-- calls the robot handed to a person.

create table account (
  id             bigserial primary key,
  login          text not null unique check (login ~ '^[a-z0-9._-]{2,40}$'),
  name           text not null,
  role           text not null check (role in ('operator', 'supervisor')),
  password_hash  text not null,              -- argon2id (@node-rs/argon2)
  languages      text[] not null default '{ru}',
  skills         text[] not null default '{}',  -- queues and campaigns this person takes
  phone          text,                        -- where a handed-off call is put through (SIP URI or E.164)
  disabled       boolean not null default false,
  created_at     timestamptz not null default now()
);

-- A signed-in browser: the cookie holds a random token, the registry only its SHA-256.
create table account_session (
  token_hash  text primary key,
  account_id  bigint not null references account (id),
  created_at  timestamptz not null,
  expires_at  timestamptz not null
);
create index account_session_expiry on account_session (expires_at);

-- Every change a person (or a machine client) makes: who, when, what, on what.
create table audit_log (
  id       bigserial primary key,
  at       timestamptz not null default now(),
  actor    text not null,                     -- the account's login, or 'token:<name>'
  action   text not null,
  subject  text,                              -- 'campaign:<id>', 'handoff:<id>', ...
  detail   jsonb not null default '{}'
);
create index audit_log_at on audit_log (at);

-- A call the robot handed to the operators: queued, offered, taken (or not), wrapped up.
create table handoff (
  id             text primary key,             -- uuid
  call_id        text not null,
  attempt_id     bigint not null references attempt (id),
  campaign_id    text not null references campaign (id),
  contact_id     bigint not null references campaign_contact (id),
  patient_id     bigint not null references patient (id),
  queue          text not null,
  reason         text not null,
  priority       int not null,
  skill          text,
  language       text not null,
  queued_at      timestamptz not null,
  accepted_by    bigint references account (id),
  accepted_at    timestamptz,
  ended_at       timestamptz,
  -- connected: an operator took it; unanswered: the wait ran out (the robot offered a call-back);
  -- abandoned: the callee hung up waiting; unavailable: nobody could take it when it came
  outcome        text check (outcome in ('connected', 'unanswered', 'abandoned', 'unavailable')),
  wait_ms        int,
  disposition    text,                          -- the operator's final code
  note           text,
  wrapped_up_at  timestamptz
);
create index handoff_attempt on handoff (attempt_id);
create index handoff_campaign on handoff (campaign_id, queued_at);

-- the operator who set an attempt's final code (a handed-off call) and their note
alter table attempt add column operator_id bigint references account (id);
alter table attempt add column operator_note text;
