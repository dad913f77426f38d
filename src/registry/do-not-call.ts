import type { Db } from './db.js';

/** Adds a number to the do-not-call list at once; adding it twice keeps the first reason. */
export async function addDoNotCall(db: Db, p: { phone: string; reason: string; source: string }): Promise<void> {
  await db.query(
    `insert into do_not_call (phone, reason, source) values ($1, $2, $3) on conflict (phone) do nothing`,
    [p.phone, p.reason, p.source],
  );
}
