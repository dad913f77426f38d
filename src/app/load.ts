import type { Config } from '../config/index.js';
import { describeRejectedRow, migrate } from '../registry/index.js';
import { openRegistry } from './build-engine.js';
import { createCampaignFrom, PROGRESS_EVERY, readCampaign } from './campaign-setup.js';

/**
 * `zvonar load`: creates a campaign from a campaign file and imports its contacts, all or
 * nothing (see createCampaignFrom). Prints what it did, then one line per rejected row; a list
 * of PROGRESS_EVERY rows or more reports its progress on stderr, so stdout stays the summary.
 */
export async function runLoad(cfg: Config, file: string, out: (l: string) => void): Promise<void> {
  const source = readCampaign(file);
  const rejected = () => {
    for (const x of source.contacts.rejected) out(`  ${describeRejectedRow(x)} [CONTACT_INVALID]`);
  };
  if (source.contacts.contacts.length === 0) rejected(); // then createCampaignFrom refuses, writing nothing
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    const r = await createCampaignFrom(db, source, {
      now: new Date(), timeZone: cfg.clinic.timeZone,
      onProgress: (done, total) => {
        if (total >= PROGRESS_EVERY) process.stderr.write(`zvonar load: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} contacts imported\n`);
      },
    });
    out(`campaign ${r.campaign.id}: ${r.imported} imported (${r.patients.created} new patients, ${r.patients.updated} updated), ` +
      `${r.rejected.length} rejected, ${r.slots} slots created`);
    rejected();
  } finally {
    await db.close();
  }
}
