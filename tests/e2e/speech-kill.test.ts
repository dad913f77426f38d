import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/registry/pglite-db.js';
import { migrate, type Db } from '../../src/registry/index.js';
import { runUntilIdle, seedCampaign, testConfig, testEngine, until } from '../support/engine.js';

// `zvonar speech serve` in a process of its own (dist/: `npm test` builds first), killed with
// SIGKILL in the middle of calls: the call it was serving ends on the defined path with its
// attempt recorded, and the other calls go on with the next engine (the embedded one).

const BIN = resolve('bin/zvonar.js');
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-speech-kill-'));
let db: Db;

beforeAll(async () => {
  db = await openPglite();
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts `zvonar speech serve` with the modem voice alone; resolves once it listens. */
async function serve(port: number): Promise<ChildProcess> {
  const config = join(tmp, 'speech.yaml');
  writeFileSync(config, [
    'clinic: { name: test, timeZone: Europe/Moscow }',
    'telephony: { kind: sim }',
    'trunk: { from: "+78632000000" }',
    'speech: { engines: [{ kind: embedded, voices: [modem], recognizer: none }] }',
    '',
  ].join('\n'));
  const child = spawn('node', [BIN, '-c', config, 'speech', 'serve', '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ZVONAR_LOG_LEVEL: 'warn', ZVONAR_METRICS_PORT: '0' },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await until(() => out.includes('listening on'), `zvonar speech serve to listen (said: ${out})`, 30_000);
  return child;
}

describe('a speech server killed mid-call', () => {
  it('the call it served ends with its attempt recorded; the other calls go on with the next engine', async () => {
    const port = await freePort();
    const child = await serve(port);
    const s = await seedCampaign(db, { personas: ['agree', 'agree', 'agree', 'agree'], slots: 6, now: new Date() });
    const config = testConfig({
      speech: {
        engines: [{ kind: 'grpc', address: `127.0.0.1:${port}` }, { kind: 'embedded', voices: ['modem'], recognizer: 'none' }],
        breaker: { failures: 1, openMs: 60_000 },
      },
    });
    const engine = await testEngine(db, s.personaOf, { config });
    try {
      const run = runUntilIdle(engine, s.campaign, { maxChannels: 2 });
      await until(() => engine.sim!.calls.some((c) => c.heard.length >= 1), 'a greeting to be heard', 30_000);
      child.kill('SIGKILL');
      await run;
    } finally {
      child.kill('SIGKILL');
      await engine.close();
    }
    const { rows } = await db.query<{ disposition: string; error: string | null }>(
      `select a.disposition, a.error from attempt a where a.campaign_id = $1 order by a.started_at`, [s.campaign.id]);
    // every contact was called and every attempt closed with a disposition: none lost
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.every((r) => r.disposition !== null)).toBe(true);
    // the calls after the kill were served by the embedded engine and booked
    const booked = rows.filter((r) => r.disposition === 'BOOKED').length;
    expect(booked).toBeGreaterThanOrEqual(2);
    const broken = rows.filter((r) => r.disposition !== 'BOOKED');
    for (const r of broken) expect(r).toMatchObject({ disposition: 'ROBOT_SILENCE', error: 'SPEECH_UNAVAILABLE' });
    const { rows: c } = await db.query<{ state: string }>(`select state from campaign_contact where campaign_id = $1`, [s.campaign.id]);
    expect(c.filter((x) => x.state === 'done').length).toBe(booked);
  }, 120_000);
});
