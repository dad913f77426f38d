import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/registry/pglite-db.js';
import { migrate, type Db } from '../../src/registry/index.js';
import { startHttpServer } from '../../src/web/index.js';
import { collectingLogger } from '../support/collecting-logger.js';
import { runUntilIdle, seedCampaign, testConfig, testEngine, until } from '../support/engine.js';
import { startReferenceSpeechServer } from '../../src/speech/server/index.js';

let db: Db;
beforeAll(async () => {
  db = await openPglite();
  await migrate(db);
});
afterAll(async () => db?.close());

/** A 127.0.0.1 port that nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('engine', () => {
  it('a dead speech server stops the dialer before anyone is called: no attempt, contact untouched', async () => {
    const s = await seedCampaign(db, { personas: ['agree'], slots: 2, now: new Date() });
    const config = testConfig({ speech: { kind: 'grpc', address: `127.0.0.1:${await deadPort()}` } });
    const engine = await testEngine(db, s.personaOf, { config });
    try {
      await expect(runUntilIdle(engine, s.campaign)).rejects.toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    } finally {
      await engine.close();
    }
    expect(engine.sim!.calls).toEqual([]);
    expect((await db.query(`select 1 from attempt where campaign_id = $1`, [s.campaign.id])).rows).toEqual([]);
    const { rows: c } = await db.query<{ state: string; attempts: number; lease_owner: string | null }>(
      `select state, attempts, lease_owner from campaign_contact where campaign_id = $1`, [s.campaign.id]);
    expect(c).toEqual([{ state: 'pending', attempts: 0, lease_owner: null }]);
  });

  it('the dialer starts no more calls than the speech engine can serve (declared streams less those in use)', async () => {
    const s = await seedCampaign(db, { personas: ['agree', 'agree', 'agree', 'agree', 'agree', 'agree'], slots: 8, now: new Date() });
    // 5 streams: room for two calls of two streams each
    const config = testConfig({ speech: { kind: 'embedded', voices: ['modem'], recognizer: 'none', maxStreams: 5 } });
    const engine = await testEngine(db, s.personaOf, { config });
    let most = 0;
    const sample = setInterval(() => {
      most = Math.max(most, engine.speech.embedded!.streams);
    }, 5);
    let calls = 0;
    const room: number[] = [];
    const inner = engine.deps.speech!;
    engine.deps.speech = { room: () => { const r = inner.room(); room.push(r); return r; }, take: (n) => { calls += n; inner.take(n); } };
    try {
      await until(() => engine.speech.capacity.headroomStreams() !== null, 'the first health poll');
      await runUntilIdle(engine, s.campaign, { maxChannels: 10 });
    } finally {
      clearInterval(sample);
      await engine.close();
    }
    expect(calls).toBe(6);
    expect(Math.max(...room)).toBeLessThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(5);
    const { rows } = await db.query<{ disposition: string }>(`select disposition from attempt where campaign_id = $1`, [s.campaign.id]);
    expect(rows.map((r) => r.disposition)).toEqual(Array(6).fill('BOOKED'));
  });

  it('a speech server that dies mid-call: the callee hears the recorded apology, ROBOT_SILENCE, counted, error code, no slot leaked', async () => {
    const s = await seedCampaign(db, { personas: ['agree'], slots: 2, now: new Date() });
    const speech = await startReferenceSpeechServer({ host: '127.0.0.1', port: 0 });
    const config = testConfig({ speech: { kind: 'grpc', address: speech.address } });
    const engine = await testEngine(db, s.personaOf, { config });
    try {
      // the dialer may stop while the server is still closing: its end is taken at once, looked at after
      const run = runUntilIdle(engine, s.campaign).then(() => null, (err: unknown) => err);
      await until(() => engine.sim!.calls[0]?.heard.length === 1, 'the greeting to be heard');
      await speech.close();
      // the call in progress is recorded; then the dialer stops, as speech is down
      expect(await run).toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    } finally {
      await engine.close();
    }
    const { rows } = await db.query<{ disposition: string; counted: boolean; error: string; sip_status: number; transcript: { who: string; text: string }[] }>(
      `select disposition, counted, error, sip_status, transcript from attempt where campaign_id = $1`, [s.campaign.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ disposition: 'ROBOT_SILENCE', counted: true, sip_status: 200 });
    expect(rows[0]!.error).toBe('SPEECH_UNAVAILABLE');
    // not silence: the recorded apology was played before the robot hung up
    expect(rows[0]!.transcript.map((l) => l.text)).toContain('(no speech engine answered: the recorded apology was played)');
    const { rows: c } = await db.query<{ state: string; attempts: number; next_attempt_at: Date }>(
      `select state, attempts, next_attempt_at from campaign_contact where campaign_id = $1`, [s.campaign.id]);
    expect(c[0]).toMatchObject({ state: 'pending', attempts: 1 });
    expect(c[0]!.next_attempt_at.getTime() - Date.now()).toBeGreaterThan(25 * 3600_000); // next day, not in two minutes
    const { rows: held } = await db.query(`select 1 from slot where id = any($1::bigint[]) and status <> 'free'`, [s.slotIds]);
    expect(held).toEqual([]); // no slot leaked
  });

  it('an answer whose SDP has no audio stream ends NETWORK_FAILURE, uncounted, logged with what is wrong', async () => {
    const s = await seedCampaign(db, { personas: ['bad-sdp'], slots: 0, now: new Date() });
    const log = collectingLogger();
    const engine = await testEngine(db, s.personaOf, { log });
    try {
      await runUntilIdle(engine, s.campaign);
    } finally {
      await engine.close();
    }
    const { rows } = await db.query<{ disposition: string; counted: boolean; error: string }>(
      `select disposition, counted, error from attempt where campaign_id = $1`, [s.campaign.id]);
    expect(rows).toEqual([{ disposition: 'NETWORK_FAILURE', counted: false, error: 'SDP_INVALID' }]);
    const line = log.lines.find((l) => l.msg === 'call failed inside the engine')!;
    expect(line.fields.error).toMatchObject({ code: 'SDP_INVALID', message: expect.stringMatching(/audio/i) });
  });

  it('a trunk refusing our billing (402) pauses the campaign before another contact is dialled', async () => {
    const s = await seedCampaign(db, { personas: ['trunk-billing', 'agree'], slots: 1, now: new Date() });
    const engine = await testEngine(db, s.personaOf);
    try {
      await runUntilIdle(engine, s.campaign, { maxChannels: 1 });
    } finally {
      await engine.close();
    }
    const { rows } = await db.query<{ disposition: string; counted: boolean }>(`select disposition, counted from attempt where campaign_id = $1`, [s.campaign.id]);
    expect(rows).toEqual([{ disposition: 'SYSTEM_ERROR', counted: false }]);
    const { rows: c } = await db.query<{ status: string }>(`select status from campaign where id = $1`, [s.campaign.id]);
    expect(c[0]!.status).toBe('paused');
    const { rows: left } = await db.query<{ state: string; attempts: number; lease_owner: string | null }>(
      `select state, attempts, lease_owner from campaign_contact where patient_id = $1`, [s.patientIds[1]]);
    expect(left).toEqual([{ state: 'pending', attempts: 0, lease_owner: null }]);
  });

  it('logs at info and above carry masked phones and no patient names or words', async () => {
    const s = await seedCampaign(db, { personas: ['agree', 'busy', 'decline'], slots: 2, now: new Date() });
    const log = collectingLogger();
    const engine = await testEngine(db, s.personaOf, { log });
    try {
      await runUntilIdle(engine, s.campaign);
    } finally {
      await engine.close();
    }
    const visible = log.lines.filter((l) => l.level !== 'debug');
    expect(visible.filter((l) => l.msg === 'attempt recorded')).toHaveLength(3);
    const text = JSON.stringify(visible);
    for (const phone of s.phones) {
      expect(text).not.toContain(phone);
      expect(text).toContain(`${phone.slice(0, 5)}***${phone.slice(-4)}`);
    }
    for (const word of ['Иванова', 'Анна', 'Петровна', 'Первое', 'Нет, спасибо']) expect(text).not.toContain(word);
  });

  it('/metrics, scraped over HTTP, counts attempts by disposition and bookings, with no patient data in labels', async () => {
    const s = await seedCampaign(db, { personas: ['agree', 'busy'], slots: 2, now: new Date() });
    const engine = await testEngine(db, s.personaOf);
    const http = await startHttpServer({ host: '127.0.0.1', port: 0, metrics: engine.metrics });
    try {
      await runUntilIdle(engine, s.campaign);
      const res = await fetch(`${http.url}/metrics`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain(`zvonar_attempts_total{campaign="${s.campaign.id}",disposition="BOOKED"} 1`);
      expect(body).toContain(`zvonar_attempts_total{campaign="${s.campaign.id}",disposition="BUSY"} 1`);
      expect(body).toContain(`zvonar_bookings_total{campaign="${s.campaign.id}"} 1`);
      expect(body).toMatch(/^zvonar_calls_active 0$/m);
      expect(body).toMatch(/^zvonar_first_audio_seconds_count 1$/m);
      // the answered call's media: packets both ways, none lost on loopback, its jitter observed
      expect(Number(body.match(/^zvonar_rtp_packets_total\{kind="sent"\} (\d+)$/m)?.[1])).toBeGreaterThan(100);
      expect(Number(body.match(/^zvonar_rtp_packets_total\{kind="received"\} (\d+)$/m)?.[1])).toBeGreaterThan(10);
      expect(body).toMatch(/^zvonar_rtp_packets_total\{kind="foreign"\} 0$/m);
      expect(body).toMatch(/^zvonar_rtp_jitter_seconds_count 1$/m);
      for (const phone of s.phones) expect(body).not.toContain(phone.slice(1));
      expect(body).not.toContain('Иванова');
      expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
    } finally {
      await http.close();
      await engine.close();
    }
  });
});
