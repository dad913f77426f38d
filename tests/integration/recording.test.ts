import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../support/wav.js';
import { databases } from '../support/databases.js';
import { runUntilIdle, seedCampaign, testEngine } from '../support/engine.js';
import { collectingLogger } from '../support/collecting-logger.js';

/**
 * Call recording through every layer: a campaign that asks for it, the dialer, real RTP both ways
 * with the simulated callees, and the WAV left in the campaign's folder.
 */
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-rec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** RMS of one channel of an interleaved stereo WAV, over [from, to) seconds. */
function rms(samples: Int16Array, channel: 0 | 1, from = 0, to = Infinity): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.floor(from * 8000) * 2 + channel; i < Math.min(samples.length, to * 8000 * 2); i += 2) {
    sum += samples[i]! ** 2;
    n++;
  }
  return Math.sqrt(sum / Math.max(1, n));
}

const target = databases[0]!; // the registry is not what is tested here

describe('call recording', () => {
  it('an answered call of a campaign that records leaves one stereo WAV named by its call id, both sides heard; unanswered calls leave none', async () => {
    const db = await target.open();
    const dir = join(tmp, 'calls');
    const s = await seedCampaign(db, { personas: ['agree', 'busy'], slots: 2, now: new Date(), rules: { recording: { enabled: true, dir, retentionDays: 7 } } });
    const engine = await testEngine(db, s.personaOf);
    try {
      await runUntilIdle(engine, s.campaign);
      const { rows } = await db.query<{ call_id: string; disposition: string; answered_at: Date; ended_at: Date }>(
        `select call_id, disposition, answered_at, ended_at from attempt where campaign_id = $1 and answered_at is not null`, [s.campaign.id]);
      expect(rows.map((r) => r.disposition)).toEqual(['BOOKED']);
      const answered = rows[0]!;
      // named by the call id only: no phone number, no name
      expect(readdirSync(dir)).toEqual([`${answered.call_id}.wav`]);
      const wav = readWav(join(dir, `${answered.call_id}.wav`));
      expect(wav).toMatchObject({ sampleRate: 8000, channels: 2 });
      const seconds = wav.samples.length / 2 / 8000;
      const callSeconds = (answered.ended_at.getTime() - answered.answered_at.getTime()) / 1000;
      expect(Math.abs(seconds - callSeconds)).toBeLessThan(1.5);
      // right: the robot (its greeting starts within a second); left: the callee (its replies, later)
      expect(rms(wav.samples, 1, 0, 2)).toBeGreaterThan(500);
      expect(rms(wav.samples, 0)).toBeGreaterThan(100);
      expect(rms(wav.samples, 0, 0, 2)).toBeLessThan(50); // the callee is silent while greeted
    } finally {
      await engine.close();
      await db.close();
    }
  });

  it('a recording that cannot be written is logged at warn without patient data, and the call is recorded as usual', async () => {
    const db = await target.open();
    const notADir = join(tmp, 'a-file');
    writeFileSync(notADir, 'not a folder');
    const s = await seedCampaign(db, { personas: ['decline'], slots: 1, now: new Date(), rules: { recording: { enabled: true, dir: join(notADir, 'calls'), retentionDays: 7 } } });
    const log = collectingLogger();
    const engine = await testEngine(db, s.personaOf, { log });
    try {
      await runUntilIdle(engine, s.campaign);
      const { rows } = await db.query<{ disposition: string; call_id: string }>(`select disposition, call_id from attempt where campaign_id = $1`, [s.campaign.id]);
      expect(rows.map((r) => r.disposition)).toEqual(['DECLINED']);
      const warned = log.lines.filter((l) => l.msg === 'call recording not written');
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ level: 'warn', fields: { callId: rows[0]!.call_id, error: 'ENOTDIR' } });
      expect(JSON.stringify(warned)).not.toMatch(/\+7900|Иванова|Анна/);
    } finally {
      await engine.close();
      await db.close();
    }
  });
});
