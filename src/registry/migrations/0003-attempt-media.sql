-- How the call's media went, kept with its attempt (issue 9): packets received, lost, late and
-- dropped by reason, jitter, and the far end's own view from its RTCP reports (loss, jitter,
-- round-trip time). Null for calls that had no media (not answered). Never edit a migration that
-- has landed: add the next file.
alter table attempt add column media jsonb;
