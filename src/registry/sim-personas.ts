import type { Db } from './db.js';

/**
 * The simulated callee named for each number of a campaign, from the contact list's `persona`
 * column (kept in campaign_contact.attributes). Names are returned as written: the caller checks
 * them against the personas it knows.
 */
export async function contactPersonas(db: Db, p: { campaignId: string }): Promise<Map<string, string>> {
  const { rows } = await db.query<{ phone: string; persona: string }>(
    `select phone, attributes->>'persona' as persona from campaign_contact
     where campaign_id = $1 and attributes ? 'persona'
     order by id`,
    [p.campaignId],
  );
  return new Map(rows.map((r) => [r.phone, r.persona]));
}
