import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReport } from '../../src/app/index.js';
import { SipTrunk } from '../../src/config/index.js';
import { silentLogger } from '../../src/core/index.js';
import { createRtpMediaFactory } from '../../src/media/rtp-session.js';
import { DrachtioCalls } from '../../src/telephony/drachtio/drachtio-calls.js';
import { connectPostgres } from '../../src/registry/pg-db.js';
import { openPglite } from '../../src/registry/pglite-db.js';
import { modemSpeak } from '../../src/speech/index.js';
import { writeRtpPcap } from '../support/pcap.js';
import { readWav } from '../support/wav.js';

/**
 * Real SIP: `zvonar call` through a real drachtio-server to sipp (Debian `sip-tester`) playing
 * the callee's side from tests/sip/scenarios. Runs when ZVONAR_TEST_DRACHTIO=host:port:secret
 * names a running drachtio-server that can reach 127.0.0.1 (DEVELOPERS.md says how to build and
 * start one); skipped otherwise. Media is real too: sipp answers with its own RTP port and plays
 * pcap files this test writes (the callee's "да" in the reference engine's modem voice, a recorded
 * operator announcement, a voicemail greeting), and the robot's audio goes to sipp.
 */
const DRACHTIO = process.env.ZVONAR_TEST_DRACHTIO;
/** a command that restarts that drachtio-server (kill -9 and start): the restart test runs only with it */
const RESTART = process.env.ZVONAR_TEST_DRACHTIO_RESTART;
const ROOT = resolve('.');
const BIN = join(ROOT, 'bin/zvonar.js');
const SCENARIOS = join(ROOT, 'tests/sip/scenarios');
const DIALOG = join(ROOT, 'dialogs/dispanserization-invite.yaml');

interface Run { report: CallReport; phone: string; elapsedMs: number; sipp: { code: number | null; out: string } }

describe.skipIf(!DRACHTIO)('SIP through drachtio-server to sipp', () => {
  const [host, port, secret] = (DRACHTIO ?? '::').split(':');
  const tmp = mkdtempSync(join(tmpdir(), 'zvonar-sip-'));
  const dataDir = join(tmp, 'registry');
  let sippPort = 15_060 + Math.floor(Math.random() * 400) * 2;
  let number = 0;
  const made: CallReport[] = [];

  beforeAll(() => {
    writeFileSync(join(tmp, 'config.yaml'), [
      'clinic: { name: поликлиника номер семь, timeZone: Europe/Moscow }',
      `database: { url: ${process.env.ZVONAR_TEST_DATABASE_URL ? JSON.stringify(process.env.ZVONAR_TEST_DATABASE_URL) : 'null'}, dataDir: ${JSON.stringify(dataDir)} }`,
      'log: { level: warn }',
      'telephony:',
      '  kind: drachtio',
      `  host: ${host}`,
      `  port: ${port}`,
      `  secret: ${JSON.stringify(secret)}`,
      '  keepAliveMs: 600000',
      '  trunks:',
      '    - { name: sipp, address: "127.0.0.1:SIPP_PORT" }',
      '    - { name: sipp-auth, address: "127.0.0.1:SIPP_PORT", username: zvonar }',
      'trunk: { from: "+78632000000", ringTimeoutMs: 15000 }',
      'speech: { kind: embedded, voices: [modem], recognizer: none }',
      '',
    ].join('\n'));
    // the callee's side: "да" every 3 s for half a minute, as the reference engine hears speech
    const da = modemSpeak('да');
    const talk = new Int16Array(10 * (24_000 + da.length));
    for (let i = 0; i < 10; i++) talk.set(da, i * (24_000 + da.length) + 24_000);
    writeRtpPcap(join(tmp, 'callee.pcap'), talk);
    writeRtpPcap(join(tmp, 'announcement.pcap'), readWav(join(ROOT, 'tests/fixtures/early-media/sit-unreachable-ru.wav')).samples);
    writeRtpPcap(join(tmp, 'voicemail.pcap'), readWav(join(ROOT, 'tests/fixtures/early-media/voicemail-ru.wav')).samples);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** sipp plays one scenario as the callee while `zvonar call --json` calls it. */
  async function call(scenario: string, o: { sipp?: string[]; zvonar?: string[]; env?: Record<string, string>; keepAliveMs?: number } = {}): Promise<Run> {
    sippPort += 2;
    const cfg = join(tmp, `config-${sippPort}.yaml`);
    writeFileSync(cfg, readFileSync(join(tmp, 'config.yaml'), 'utf8').replaceAll('SIPP_PORT', String(sippPort))
      .replace('keepAliveMs: 600000', `keepAliveMs: ${o.keepAliveMs ?? 600_000}`));
    const sipp = spawn('sipp', [
      '-sf', join(SCENARIOS, `${scenario}.xml`), '-i', '127.0.0.1', '-p', String(sippPort),
      '-mi', '127.0.0.1', '-mp', String(sippPort + 1000), '-m', '1', '-nostdin', '-timeout', '60', '-timeout_error', '-trace_err', ...(o.sipp ?? []),
    ], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    const sippDone = exited(sipp);
    await new Promise((r) => setTimeout(r, 300)); // sipp binds its port
    const t0 = Date.now();
    const phone = `+7900555${String(++number).padStart(4, '0')}`;
    const out = await new Promise<string>((done, fail) => {
      execFile('node', [BIN, '-c', cfg, 'call', phone, '--dialog', DIALOG, '--json', ...(o.zvonar ?? [])], {
        cwd: tmp, env: { ...process.env, ZVONAR_LOG_LEVEL: 'warn', DATABASE_URL: '', ZVONAR_TRUNK_PASSWORD_SIPP_AUTH: 'trunk-secret', ...o.env }, timeout: 90_000,
      }, (err, stdout, stderr) => (err ? fail(new Error(`zvonar call failed: ${stderr}`)) : done(stdout)));
    });
    const elapsedMs = Date.now() - t0;
    const sippResult = await Promise.race([sippDone, new Promise<{ code: null; out: string }>((r) => setTimeout(() => {
      sipp.kill();
      r({ code: null, out: 'sipp still running 10 s after the call ended' });
    }, 10_000))]);
    const report = JSON.parse(out) as CallReport;
    made.push(report);
    return { report, phone, elapsedMs, sipp: sippResult };
  }

  const said = (r: CallReport) => r.transcript.filter((l) => l.who === 'robot').map((l) => l.text);
  const heard = (r: CallReport) => r.transcript.filter((l) => l.who === 'callee').map((l) => l.text);

  it('answer and talk: the robot greets, hears "да", ends the script and hangs up', async () => {
    const { report, sipp } = await call('answer-talk');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ sipStatus: 200, q850: null, amd: 'notsure', earlyMedia: null, campaignId: 'test-calls' });
    expect(said(report)[0]).toMatch(/^Здравствуйте/);
    expect(heard(report)).toContain('да');
    expect(report.durationMs).toBeGreaterThan(3_000);
    // no slots in this registry: the script promises a call back
    expect(report.disposition).toBe('CALLBACK_REQUESTED');
  }, 90_000);

  for (const [scenario, disposition, sipStatus, q850] of [
    ['reject-486', 'BUSY', 486, 17],
    ['reject-480', 'UNREACHABLE', 480, null],
    ['reject-404', 'INVALID_NUMBER', 404, null],
    ['reject-503', 'NETWORK_FAILURE', 503, null],
  ] as const) {
    it(`${scenario}: ${disposition}`, async () => {
      const { report, sipp } = await call(scenario);
      expect(sipp.code, sipp.out).toBe(0);
      expect(report).toMatchObject({ disposition, sipStatus, q850, durationMs: 0, transcript: [] });
    }, 60_000);
  }

  it('503 with Retry-After: 600: the contact is not due again before ten minutes (the back-off alone says two)', async () => {
    const t0 = Date.now();
    const { report, phone } = await call('reject-503');
    expect(report.disposition).toBe('NETWORK_FAILURE');
    const db = process.env.ZVONAR_TEST_DATABASE_URL ? await connectPostgres(process.env.ZVONAR_TEST_DATABASE_URL) : await openPglite(dataDir);
    try {
      const { rows } = await db.query<{ next_attempt_at: Date }>(`select next_attempt_at from campaign_contact where campaign_id = 'test-calls' and phone = $1`, [phone]);
      expect(rows[0]!.next_attempt_at.getTime() - t0).toBeGreaterThanOrEqual(600_000);
      expect(rows[0]!.next_attempt_at.getTime() - t0).toBeLessThan(660_000);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('an in-dialog OPTIONS keep-alive answered 481: the call is ended with a BYE and recorded as lost by the network', async () => {
    const { report, sipp } = await call('keepalive-481', { keepAliveMs: 2_000 });
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ disposition: 'NETWORK_FAILURE', sipStatus: 200, because: 'the network lost the answered call before the script ended' });
    expect(report.durationMs).toBeGreaterThanOrEqual(2_000);
    expect(report.durationMs).toBeLessThan(5_000);
  }, 60_000);

  it('ring without answer: CANCEL at the ring timeout, 487, NO_ANSWER', async () => {
    const { report, sipp, elapsedMs } = await call('ring-no-answer');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ disposition: 'NO_ANSWER', sipStatus: 487 });
    expect(elapsedMs).toBeGreaterThanOrEqual(15_000);
  }, 60_000);

  it('183 with an operator\'s announcement, then 480: the announcement is heard and named, the number is UNREACHABLE', async () => {
    const { report, sipp } = await call('announcement-480');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ disposition: 'UNREACHABLE', sipStatus: 480, q850: 20 });
    expect(report.earlyMedia).toMatch(/^announcement/);
  }, 60_000);

  it('183 with a voicemail greeting: cancelled at its beep, long before the ring timeout, VOICEMAIL', async () => {
    const { report, sipp, elapsedMs } = await call('voicemail-early');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ disposition: 'VOICEMAIL', sipStatus: 487 });
    expect(report.earlyMedia).toMatch(/^voicemail/);
    expect(elapsedMs).toBeLessThan(15_000);
  }, 60_000);

  it('early hang-up: the callee hangs up a second after answering, EARLY_HANGUP', async () => {
    const { report, sipp } = await call('early-hangup');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ disposition: 'EARLY_HANGUP', sipStatus: 200 });
  }, 60_000);

  it('BYE from the callee mid-prompt: the robot stops, EARLY_HANGUP, the greeting is in the transcript', async () => {
    const { report, sipp } = await call('bye-mid-prompt');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ disposition: 'EARLY_HANGUP', sipStatus: 200 });
    expect(said(report)[0]).toMatch(/^Здравствуйте/);
    expect(report.durationMs).toBeLessThan(5_000);
  }, 60_000);

  it('DTMF from the callee (RFC 4733) is in the call\'s event stream and transcript', async () => {
    const { report, sipp } = await call('dtmf');
    expect(sipp.code, sipp.out).toBe(0);
    expect(report.transcript).toContainEqual(expect.objectContaining({ who: 'callee', text: 'DTMF 1' }));
  }, 90_000);

  it('digest authentication: the trunk\'s 401 is answered with the credentials of trunk sipp-auth (password from the environment)', async () => {
    const { report, sipp } = await call('digest-auth', { zvonar: ['--trunk', 'sipp-auth'], env: { ZVONAR_TRUNK_PASSWORD_SIPP_AUTH: 'trunk-secret' } });
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ sipStatus: 200, disposition: 'EARLY_HANGUP' });
  }, 60_000);

  it('digest authentication with a wrong password: refused 403, BLOCKED', async () => {
    const { report, sipp } = await call('digest-auth', { zvonar: ['--trunk', 'sipp-auth'], env: { ZVONAR_TRUNK_PASSWORD_SIPP_AUTH: 'wrong' } });
    expect(sipp.code, sipp.out).toBe(0);
    expect(report).toMatchObject({ sipStatus: 403, disposition: 'BLOCKED' });
  }, 60_000);

  it('DTMF from the robot: keys pressed once answered (an extension) reach the callee, who sends them back (sipp -rtp_echo)', async () => {
    const { report, sipp } = await call('dtmf-echo', { sipp: ['-rtp_echo'], zvonar: ['--dtmf', '12,3'] });
    expect(sipp.code, sipp.out).toBe(0);
    const keys = (who: string) => report.transcript.filter((l) => l.who === who && l.text.startsWith('DTMF')).map((l) => l.text);
    expect(keys('robot')).toEqual(['DTMF 1', 'DTMF 2', 'DTMF 3']);
    expect(keys('callee')).toEqual(['DTMF 1', 'DTMF 2', 'DTMF 3']);
  }, 90_000);

  it('re-INVITE: put on hold (sendonly), answered recvonly; taken off hold, answered sendrecv; the call goes on', async () => {
    const { report, sipp } = await call('reinvite');
    expect(sipp.code, sipp.out).toBe(0);
    expect(heard(report)).toContain('да');
    expect(report.disposition).toBe('CALLBACK_REQUESTED');
  }, 90_000);

  it('every call above is an attempt in the registry, with the disposition and SIP status it printed', async () => {
    expect(made.length).toBeGreaterThan(10);
    const db = process.env.ZVONAR_TEST_DATABASE_URL ? await connectPostgres(process.env.ZVONAR_TEST_DATABASE_URL) : await openPglite(dataDir);
    try {
      const { rows } = await db.query<{ call_id: string; disposition: string; sip_status: number | null }>(
        `select call_id, disposition, sip_status from attempt where call_id = any($1::text[])`, [made.map((r) => r.callId)]);
      const stored = new Map(rows.map((r) => [r.call_id, [r.disposition, r.sip_status]]));
      for (const r of made) expect(stored.get(r.callId), r.callId).toEqual([r.disposition, r.sipStatus]);
    } finally {
      await db.close();
    }
  }, 30_000);
});

describe.skipIf(!DRACHTIO || !RESTART)('drachtio-server restarting under a call', () => {
  it('ends the answered call as lost by the network, refuses calls while away, and places the next one once reconnected', async () => {
    const [host, port, secret] = DRACHTIO!.split(':');
    const sippPort = 16_900 + Math.floor(Math.random() * 50) * 2;
    const tmp = mkdtempSync(join(tmpdir(), 'zvonar-sip-restart-'));
    const sipp = spawn('sipp', ['-sf', join(SCENARIOS, 'dtmf-echo.xml'), '-i', '127.0.0.1', '-p', String(sippPort), '-mi', '127.0.0.1', '-mp', String(sippPort + 1000), '-m', '1', '-nostdin', '-timeout', '60'], { cwd: tmp, stdio: 'ignore' });
    const calls = new DrachtioCalls({
      host: host!, port: Number(port), secret: secret!, keepAliveMs: 600_000, log: silentLogger,
      trunk: SipTrunk.parse({ name: 'sipp', address: `127.0.0.1:${sippPort}` }),
    });
    const media = createRtpMediaFactory({ host: '127.0.0.1', portMin: 31_000, portMax: 31_999 });
    try {
      await calls.connect();
      await new Promise((r) => setTimeout(r, 300));
      const m1 = await media.allocate();
      let lost: { by: string; reason?: string } | null = null;
      const leg = await calls.originate({ callId: 'restart-1', to: '+79001230001', from: '+78632000000', sdpOffer: m1.offer() }, { hangup: (c) => (lost = c) }, new AbortController().signal);
      expect(leg.state).toBe('answered');
      await new Promise<void>((done, fail) => execFile('sh', ['-c', RESTART!], (err) => (err ? fail(err) : done())));
      for (let i = 0; i < 50 && !lost; i++) await new Promise((r) => setTimeout(r, 100));
      expect(lost).toMatchObject({ by: 'network' });
      expect(leg.state).toBe('ended');
      // while it is away (it comes back within a second or so): no call is placed, the dialer is told why
      await expect(calls.ready()).rejects.toMatchObject({ code: 'TELEPHONY_UNAVAILABLE' });
      await expect(calls.originate({ callId: 'restart-x', to: '+79001230003', from: '+78632000000', sdpOffer: m1.offer() }, { hangup: () => {} }, new AbortController().signal))
        .rejects.toMatchObject({ sipStatus: 503 });
      m1.close();
      // back within seconds: drachtio-srf reconnects with back-off
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await calls.ready().then(() => true, () => false);
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toBe(true);
      // the same port, now a callee who is busy: the reconnected adapter's next call gets its 486
      sipp.kill();
      await new Promise((r) => setTimeout(r, 300));
      const sipp2 = spawn('sipp', ['-sf', join(SCENARIOS, 'reject-486.xml'), '-i', '127.0.0.1', '-p', String(sippPort), '-m', '1', '-nostdin', '-timeout', '30'], { cwd: tmp, stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      const m2 = await media.allocate();
      const next = calls.originate({ callId: 'restart-2', to: '+79001230002', from: '+78632000000', sdpOffer: m2.offer() }, { hangup: () => {} }, new AbortController().signal);
      await expect(next).rejects.toMatchObject({ sipStatus: 486, q850: 17 });
      m2.close();
      sipp2.kill();
    } finally {
      sipp.kill();
      await calls.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

function exited(p: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  p.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  p.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  return new Promise((r) => p.on('exit', (code) => r({ code, out })));
}
