-- A trunk's limits shared by every campaign and every dialer process on this registry (issue 12):
-- call starts are spaced 1/cps apart by one row per trunk (`next_start_at`, the earliest the
-- next call may start; null: any time), and the channels in use are counted per dialer (`trunk_use`), counting
-- only dialers alive (heartbeat), so a killed process's calls free their channels when its
-- heartbeat lapses. src/registry/trunks.ts.
create table trunk (
  name          text primary key,
  next_start_at timestamptz
);
create table trunk_use (
  trunk     text not null references trunk (name),
  dialer_id text not null references dialer (id),
  calls     int not null default 0 check (calls >= 0),
  primary key (trunk, dialer_id)
);
