import type { Db } from './db.js';

/**
 * Dialer liveness. Each dialer process writes a heartbeat every few seconds; the heartbeat also
 * renews the leases of the contacts it is calling. A dialer whose heartbeat is older than the
 * lease is dead: its leases have lapsed, and the next dialer closes its open attempts (see
 * closeOrphanedAttempts) as of that last heartbeat, its crash time to within one beat.
 */
export async function registerDialer(db: Db, p: { id: string; host: string; pid: number; now: Date }): Promise<void> {
  await db.query(
    `insert into dialer (id, host, pid, started_at, heartbeat_at) values ($1, $2, $3, $4, $4)
     on conflict (id) do update set heartbeat_at = excluded.heartbeat_at, stopped_at = null`,
    [p.id, p.host, p.pid, p.now],
  );
}

/**
 * Writes the heartbeat and renews, until now + leaseMs, the leases of the contacts this dialer is
 * on a call with. A lease taken for a call that never started (the registry failed just then)
 * is not renewed, and lapses.
 */
export async function beat(db: Db, p: { id: string; now: Date; leaseMs: number; trunkCalls?: { trunk: string; calls: number } }): Promise<void> {
  await db.tx(async (t) => {
    await t.query(`update dialer set heartbeat_at = $2 where id = $1`, [p.id, p.now]);
    if (p.trunkCalls) {
      // the true count of this dialer's calls on its trunk (trunks.ts): a release that failed is made good here
      await t.query(`insert into trunk (name) values ($1) on conflict (name) do nothing`, [p.trunkCalls.trunk]);
      await t.query(
        `insert into trunk_use (trunk, dialer_id, calls) values ($1, $2, $3) on conflict (trunk, dialer_id) do update set calls = excluded.calls`,
        [p.trunkCalls.trunk, p.id, p.trunkCalls.calls],
      );
    }
    await t.query(
      `update campaign_contact set lease_until = $2::timestamptz + $3::float8 * interval '1 millisecond',
         next_attempt_at = greatest(next_attempt_at, $2::timestamptz + $3::float8 * interval '1 millisecond')
       where lease_owner = $1 and lease_until is not null
         and exists (select 1 from attempt a where a.campaign_contact_id = campaign_contact.id and a.dialer_id = $1 and a.disposition is null)`,
      [p.id, p.now, p.leaseMs],
    );
  });
}

/** A clean stop: the dialer's attempts are all closed, and nobody waits for its leases. */
export async function stopDialer(db: Db, p: { id: string; now: Date }): Promise<void> {
  await db.tx(async (t) => {
    await t.query(`update dialer set stopped_at = $2, heartbeat_at = $2 where id = $1`, [p.id, p.now]);
    await t.query(`delete from trunk_use where dialer_id = $1`, [p.id]);
    // leased and not dialled: due again now (the lease had put their next attempt at its end)
    await t.query(
      `update campaign_contact set lease_owner = null, lease_until = null, next_attempt_at = least(next_attempt_at, $2) where lease_owner = $1`,
      [p.id, p.now],
    );
  });
}

/**
 * Attempts of a campaign still open on other dialers, by dialer, with its last heartbeat:
 * `zvonar run --until-idle` waits for those of dialers that went quiet, instead of exiting.
 */
export async function othersOpenAttempts(
  db: Db,
  p: { campaignId: string; self: string },
): Promise<{ dialerId: string | null; heartbeatAt: Date | null; stopped: boolean; open: number }[]> {
  const { rows } = await db.query<{ dialer_id: string | null; heartbeat_at: Date | null; stopped: boolean; open: number }>(
    `select a.dialer_id, d.heartbeat_at, d.stopped_at is not null as stopped, count(*)::int as open
     from attempt a left join dialer d on d.id = a.dialer_id
     where a.campaign_id = $1 and a.disposition is null and a.dialer_id is distinct from $2
     group by a.dialer_id, d.heartbeat_at, d.stopped_at`,
    [p.campaignId, p.self],
  );
  return rows.map((r) => ({ dialerId: r.dialer_id, heartbeatAt: r.heartbeat_at, stopped: r.stopped, open: r.open }));
}
