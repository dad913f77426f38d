import type { Db } from './db.js';

/** Adds a number to the do-not-call list at once; adding it twice keeps the first reason. */
export async function addDoNotCall(db: Db, p: { phone: string; reason: string; source: string }): Promise<void> {
  await db.query(
    `insert into do_not_call (phone, reason, source) values ($1, $2, $3) on conflict (phone) do nothing`,
    [p.phone, p.reason, p.source],
  );
}

export async function isDoNotCall(db: Db, p: { phone: string }): Promise<boolean> {
  const { rows } = await db.query(`select 1 from do_not_call where phone = $1`, [p.phone]);
  return rows.length > 0;
}
