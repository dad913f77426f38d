-- What set an open contact's next attempt (issue 12's campaign status): 'caps' when the caps per
-- person moved it past the time its own retry rules gave; null otherwise (the retry ladder, a
-- call-back time, a lease).
alter table campaign_contact add column held_by_caps boolean not null default false;
