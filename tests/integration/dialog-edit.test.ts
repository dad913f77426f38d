import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TranscriptLine } from '../../src/core/index.js';
import { LiveScript, type ScriptChange } from '../../src/dialog/index.js';
import { newDialerId, runCampaign } from '../../src/dialer/index.js';
import { openPglite } from '../../src/registry/pglite-db.js';
import { migrate } from '../../src/registry/index.js';
import { seedCampaign, testEngine } from '../support/engine.js';

/**
 * Acceptance (issue 10): a supervisor edits the script while its campaign runs, over the real
 * call path (simulated network, modem voice over gRPC, PGlite). Calls in progress finish on the
 * version they started with, new calls use the new one, each attempt records which (its content
 * hash), and a broken edit is refused while the running version goes on.
 */
const dir = mkdtempSync(join(tmpdir(), 'zvonar-edit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shipped = readFileSync('dialogs/dispanserization-invite.yaml', 'utf8');
const GREETING_V1 = 'Вас беспокоит';
const edited = shipped.replace('version: 5', 'version: 40').replace('Вас беспокоит {clinic.name}', 'Вам звонит {clinic.name}');
let tick = 1_700_000_000;
const save = (file: string, text: string) => {
  writeFileSync(file, text);
  utimesSync(file, (tick += 10), tick);
};

describe('editing a script while its campaign runs', () => {
  it('in-progress calls keep their version, new calls take the edit, attempts record which, a broken edit is refused', async () => {
    const db = await openPglite();
    await migrate(db);
    const file = join(dir, 'dispanserization-invite.yaml');
    save(file, shipped);
    const changes: ScriptChange[] = [];
    const live = new LiveScript(file, (c) => changes.push(c));
    const v1 = live.current().hash;
    const s = await seedCampaign(db, { personas: ['agree', 'agree', 'agree', 'agree', 'agree', 'agree'], slots: 10, now: new Date() });
    const engine = await testEngine(db, s.personaOf);
    let ended = 0;
    let v2 = '';
    try {
      await runCampaign(engine.deps, {
        campaign: s.campaign, dialog: () => live.current(), trunk: { ...engine.config.trunk, maxChannels: 3, cps: 100 },
        clinic: { name: engine.config.clinic.name, timeZone: engine.config.clinic.timeZone }, ...engine.config.dialer, dialerId: newDialerId(), untilIdle: true,
        onCallEnded: () => {
          ended++;
          if (ended === 1) {
            save(file, edited); // the other channels' calls are in progress on v1
            v2 = live.current().hash;
          }
          if (ended === 3) save(file, edited.replace('yes: find-slots', 'yes: find-slot')); // broken
        },
      }, new AbortController().signal);
    } finally {
      await engine.close();
    }
    const rows = (await db.query<{ dialog_hash: string; dialog_version: string; disposition: string; transcript: TranscriptLine[]; started_at: Date }>(
      `select dialog_hash, dialog_version, disposition, transcript, started_at from attempt where campaign_id = $1 order by started_at, id`, [s.campaign.id],
    )).rows;
    await db.close();
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.disposition === 'BOOKED')).toBe(true);
    // every attempt names its version, and said what that version says
    for (const r of rows) {
      expect([v1, v2]).toContain(r.dialog_hash);
      const greeting = r.transcript.find((l) => l.who === 'robot')!.text;
      expect(greeting.includes(GREETING_V1)).toBe(r.dialog_hash === v1);
      expect(r.dialog_version).toBe(r.dialog_hash === v1 ? '5' : '40');
    }
    // the first three started on v1 (two were in progress at the edit and finished on it); the rest on v2
    expect(rows.slice(0, 3).map((r) => r.dialog_hash)).toEqual([v1, v1, v1]);
    expect(rows.slice(3).every((r) => r.dialog_hash === v2)).toBe(true);
    expect(changes.map((c) => c.kind)).toEqual(['loaded', 'refused']);
  }, 60_000);
});
