import type { Db } from './db.js';

/**
 * A trunk's calls-per-second and channels, shared by every campaign and dialer process on this
 * registry: two processes together never start more than `cps` calls in any second, nor carry
 * more than `channels` calls at once. Starts are spaced 1/cps apart by the trunk's row (each
 * caller reserves the next start time under its lock, FIFO across processes); channels are the
 * sum of the calls of live dialers (a heartbeat within `liveMs`; the heartbeat also stores each
 * dialer's true count, see beat()).
 */
export interface TrunkLimits {
  trunk: string;
  cps: number;
  channels: number;
  /** a dialer silent this long is dead: its calls no longer hold channels */
  liveMs: number;
  /**
   * channels this caller leaves free for others: a cold campaign's dialer passes the trunk's
   * reserve for warm campaigns (reminders, confirmations) and call-backs, which pass 0
   */
  leaveFree?: number;
}

/**
 * Starts are spaced 2% wider than 1/cps: a caller's timer fires a few ms late now and then, and a
 * late start followed by punctual ones would put cps + 1 starts in some second (seen: 11 at 10
 * CPS over 60 s). The margin absorbs 20 ms of such lateness at any CPS, for 0.98 of the rate.
 */
const SPACING = 1.02;

const used = `select coalesce(sum(u.calls), 0)::int as n from trunk_use u join dialer d on d.id = u.dialer_id
  where u.trunk = $1 and d.stopped_at is null and d.heartbeat_at >= $2::timestamptz - $3::float8 * interval '1 millisecond'`;

/** Channels of the trunk free now. */
export async function trunkRoom(db: Db, p: TrunkLimits & { now: Date }): Promise<number> {
  const { rows } = await db.query<{ n: number }>(used, [p.trunk, p.now, p.liveMs]);
  return Math.max(0, p.channels - (p.leaveFree ?? 0) - rows[0]!.n);
}

/**
 * Takes a channel of the trunk for `dialerId` and reserves a start time for its call: `startAt`,
 * now or, when other calls started or are about to, 1/cps after the last of them. Null when
 * every channel is taken. The caller waits until startAt, then dials; releaseTrunk() when the call ends.
 */
export async function takeTrunk(db: Db, p: TrunkLimits & { dialerId: string; now: Date }): Promise<{ startAt: Date } | null> {
  return db.tx(async (t) => {
    await t.query(`insert into trunk (name) values ($1) on conflict (name) do nothing`, [p.trunk]);
    const { rows } = await t.query<{ next_start_at: Date | null }>(`select next_start_at from trunk where name = $1 for update`, [p.trunk]);
    const inUse = (await t.query<{ n: number }>(used, [p.trunk, p.now, p.liveMs])).rows[0]!.n;
    if (inUse >= p.channels - (p.leaveFree ?? 0)) return null;
    const next = rows[0]!.next_start_at;
    const startAt = next && next > p.now ? next : p.now;
    await t.query(`update trunk set next_start_at = $2 where name = $1`, [p.trunk, new Date(startAt.getTime() + (1000 / p.cps) * SPACING)]);
    await t.query(
      `insert into trunk_use (trunk, dialer_id, calls) values ($1, $2, 1)
       on conflict (trunk, dialer_id) do update set calls = trunk_use.calls + 1`,
      [p.trunk, p.dialerId],
    );
    return { startAt };
  });
}

/** Gives back a channel taken by takeTrunk(). */
export async function releaseTrunk(db: Db, p: { trunk: string; dialerId: string }): Promise<void> {
  await db.query(`update trunk_use set calls = greatest(calls - 1, 0) where trunk = $1 and dialer_id = $2`, [p.trunk, p.dialerId]);
}

/** How far ahead the trunk's call starts are already reserved (by every process), in ms from `now`. */
export async function trunkBacklogMs(db: Db, p: { trunk: string; now: Date }): Promise<number> {
  const { rows } = await db.query<{ next_start_at: Date | null }>(`select next_start_at from trunk where name = $1`, [p.trunk]);
  const next = rows[0]?.next_start_at;
  return next ? Math.max(0, next.getTime() - p.now.getTime()) : 0;
}
