import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_TRANSITIONS, CallSession, type CallEvents, type CallState } from '../../src/call/index.js';
import { CallFailedError } from '../../src/core/index.js';
import { createRtpMediaFactory } from '../../src/media/rtp-session.js';
import type { MediaFactory } from '../../src/media/index.js';
import type { CallControl } from '../../src/telephony/index.js';
import { readWav } from '../support/wav.js';
import { echoingLine } from '../support/echo-line.js';
import { ANY_HOUR, leaseRules, nextStep } from '../../src/dialer/index.js';
import { addDoNotCall, leaseDueContacts, registerDialer, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';
import { MACHINE, SCRIPT, seedCampaign, testEngine } from '../support/engine.js';
import { compileScript, type Script } from '../../src/dialog/index.js';
import type { PersonaName } from '../../src/sim/index.js';
import { ModemListener } from '../../src/speech/index.js';

/**
 * One call session on its own, through real RTP, gRPC speech and the registry: the states it
 * passes and the event stream it publishes (what the metrics, the transcript and the operator
 * console subscribe to).
 */
for (const target of databases) {
  describe(`call session on ${target.name}`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await target.open();
    });
    afterEach(async () => db?.close());

    async function callOne(persona: PersonaName, p: { slots?: number; dnc?: boolean; calls?: CallControl; media?: MediaFactory; ringTimeoutMs?: number; script?: Script; onSession?: (s: CallSession) => void; earlier?: string[] } = {}) {
      const now = new Date();
      const s = await seedCampaign(db, { personas: [persona], slots: p.slots ?? 2, now });
      if (p.dnc) await addDoNotCall(db, { phone: s.phones[0]!, reason: 'test', source: 'import' });
      const engine = await testEngine(db, s.personaOf);
      const dialerId = `session-${Math.random().toString(36).slice(2)}`;
      await registerDialer(db, { id: dialerId, host: 'h', pid: 1, now });
      const [contact] = await leaseDueContacts(db, { campaignId: s.campaign.id, now, limit: 1, leaseMs: 60_000, owner: dialerId, rules: leaseRules({ callingHours: ANY_HOUR }) });
      // attempts this contact had before, ended with these dispositions
      for (const [k, disposition] of (p.earlier ?? []).entries()) {
        await db.query(
          `insert into attempt (call_id, campaign_contact_id, campaign_id, patient_id, dialog_id, dialog_version, started_at, ended_at, disposition)
           values ($1, $2, $3, $4, 'd', '1', now() - interval '2 days', now() - interval '2 days', $5)`,
          [`earlier-${k}-${Math.random()}`, contact!.id, s.campaign.id, contact!.patient.id, disposition],
        );
      }
      const session = new CallSession({ ...engine.deps, ...(p.calls ? { calls: p.calls } : {}), ...(p.media ? { media: p.media } : {}) }, {
        campaign: s.campaign, script: p.script ?? SCRIPT, machine: p.script ? compileScript(p.script) : MACHINE, contact: contact!, from: '+78632000000', ringTimeoutMs: p.ringTimeoutMs ?? 23_000, maxCallMs: 60_000,
        clinic: { name: 'поликлиника', timeZone: 'Europe/Moscow' }, dialerId, registryRetryMs: 2_000, fence: new AbortController().signal,
        nextStep: (x) => nextStep(x, s.campaign.rules),
      });
      const events: { [K in keyof CallEvents]?: CallEvents[K][0][] } = {};
      const record = <K extends keyof CallEvents>(name: K) =>
        session.on(name as never, ((e: CallEvents[K][0]) => void ((events[name] ??= []) as CallEvents[K][0][]).push(e)) as never);
      for (const name of ['state', 'said', 'heard', 'first-audio', 'booked', 'hangup', 'ended', 'early-media', 'handoff', 'note', 'amd'] as const) record(name);
      p.onSession?.(session);
      try {
        const summary = await session.run();
        return { summary, events, session, callee: engine.sim?.calls.find((c) => c.callId === session.callId) };
      } finally {
        await engine.close();
      }
    }
    const path = (e: { state?: { from: string; to: string }[] }) => e.state!.map((x) => `${x.from}->${x.to}`);
    const session_amd = (e: { amd?: { verdict: string }[] }) => e.amd?.map((x) => x.verdict).join(',') ?? null;

    it('an answered call that books passes originating, ringing, answered, dialog, hanging-up, finished, and tells what was said and heard', async () => {
      const { summary, events, session } = await callOne('agree');
      expect(path(events)).toEqual(['created->originating', 'originating->ringing', 'ringing->answered', 'answered->dialog', 'dialog->hanging-up', 'hanging-up->finished']);
      expect(session.state).toBe('finished');
      expect(events.said![0]!.text).toMatch(/^Здравствуйте, Анна Петровна!/);
      expect(events.heard!.map((h) => [h.intent, h.confidence])).toEqual([['yes', 1], ['choose', 1]]);
      expect(events['first-audio']).toHaveLength(1);
      expect(events.booked!.map((b) => b.slot.id)).toEqual([summary.booked!.id]);
      expect(events.hangup).toEqual([expect.objectContaining({ by: 'robot' })]);
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'BOOKED', because: 'a slot was booked', sipStatus: 200, q850: null })]);
      // events come in the order of the call: every said/heard before the end
      expect(Math.max(...events.heard!.map((h) => h.atMs))).toBeLessThanOrEqual(events.hangup![0]!.atMs);
    });

    it('a busy callee: originating straight to hanging-up, ended BUSY by the SIP status row, nothing said', async () => {
      const { events } = await callOne('busy', { slots: 0 });
      expect(path(events)).toEqual(['created->originating', 'originating->hanging-up', 'hanging-up->finished']);
      expect(events.said).toBeUndefined();
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'BUSY', because: 'not answered, with a SIP final status', sipStatus: 486, durationMs: 0 })]);
    });

    it('a callee who asks for a person: dialog to handoff and back (no operator yet), the handoff told and written in the transcript', async () => {
      const { summary, events, session } = await callOne('operator', { slots: 0 });
      expect(path(events)).toContain('dialog->handoff');
      expect(path(events)).toContain('handoff->dialog');
      expect(events.handoff).toEqual([expect.objectContaining({ queue: expect.any(String), outcome: 'unavailable' })]);
      expect(session.transcript).toContainEqual(expect.objectContaining({ who: 'system', text: expect.stringMatching(/^handed to operators \(.+\): unavailable after 0\.0 s$/) }));
      // the call-back offered instead, and the callee asking for a person again: the operators' list
      expect(summary.disposition).toBe('TRANSFER_ABANDONED');
    });

    /**
     * A network that answers the INVITE with early media: a 183 whose SDP names a real RTP
     * endpoint that plays a recorded fixture to our offer's port, then the final status `then`
     * gives, or 487 when the session cancels. (The real one, through drachtio-server and sipp, is
     * in tests/e2e/sip-drachtio.test.ts.)
     */
    function earlyMediaNetwork(fixture: string, then: { status: number; q850?: number; afterMs: number } | null): CallControl {
      const factory = createRtpMediaFactory({ host: '127.0.0.1', portMin: 30_000, portMax: 39_999 });
      return {
        ready: async () => {},
        close: async () => {},
        originate: async (req, on, signal) => {
          const far = await factory.allocate();
          on.ringing?.();
          on.earlyMedia?.(far.accept(req.sdpOffer));
          void far.play(readWav(`tests/fixtures/early-media/${fixture}.wav`).samples);
          try {
            await new Promise<void>((_, reject) => {
              const timer = then && setTimeout(() => reject(new CallFailedError(then.status, 'final', {}, { q850: then.q850 ?? null })), then.afterMs);
              signal.addEventListener('abort', () => {
                if (timer) clearTimeout(timer);
                reject(new CallFailedError(487, 'request terminated'));
              }, { once: true });
            });
          } finally {
            far.close();
          }
          throw new Error('unreachable');
        },
      };
    }

    it('early media with a voicemail greeting: the session cancels at its beep, long before the ring timeout, and ends VOICEMAIL', async () => {
      const t0 = Date.now();
      const { events, session } = await callOne('agree', { slots: 0, calls: earlyMediaNetwork('voicemail-ru', null), ringTimeoutMs: 20_000 });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(path(events)).toEqual(['created->originating', 'originating->ringing', 'ringing->early-media', 'early-media->hanging-up', 'hanging-up->finished']);
      expect(events['early-media']).toEqual([expect.objectContaining({ kind: 'voicemail' })]);
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'VOICEMAIL', because: 'not answered, a voicemail greeting played before the answer', sipStatus: 487 })]);
      expect(session.transcript[0]).toMatchObject({ who: 'system', text: expect.stringMatching(/^early media: voicemail/) });
    });

    it('early media with an operator\'s announcement, then our CANCEL: UNREACHABLE, not NO_ANSWER', async () => {
      const { events } = await callOne('agree', { slots: 0, calls: earlyMediaNetwork('announcement-ru', null), ringTimeoutMs: 5_000 });
      expect(events['early-media']).toEqual([expect.objectContaining({ kind: 'announcement' })]);
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'UNREACHABLE', sipStatus: 487 })]);
    });

    it('early media with SIT tones and an announcement, then 480 with Q.850 cause 20: UNREACHABLE by the cause', async () => {
      const { events } = await callOne('agree', { slots: 0, calls: earlyMediaNetwork('sit-unreachable-ru', { status: 480, q850: 20, afterMs: 4_000 }) });
      expect(events['early-media']).toEqual([expect.objectContaining({ kind: 'announcement', cue: expect.stringMatching(/SIT/) })]);
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'UNREACHABLE', q850: 20, sipStatus: 480 })]);
    });

    it('early media with ringback, then our CANCEL at the ring timeout: NO_ANSWER', async () => {
      const { events } = await callOne('agree', { slots: 0, calls: earlyMediaNetwork('ringback-ru', null), ringTimeoutMs: 6_500 });
      expect(events['early-media']).toEqual([expect.objectContaining({ kind: 'ringback' })]);
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'NO_ANSWER', sipStatus: 487 })]);
    });

    it('a callee whose RTP never comes: the media timeout ends the call NETWORK_FAILURE, and the attempt keeps its media figures', async () => {
      const far = createRtpMediaFactory({ host: '127.0.0.1', portMin: 40_000, portMax: 44_999 });
      const deaf: CallControl = {
        ready: async () => {},
        close: async () => {},
        originate: async (req, on) => {
          const m = await far.allocate(); // answers, and never sends a packet
          on.ringing?.();
          const sdpAnswer = m.accept(req.sdpOffer);
          let state: 'answered' | 'ended' = 'answered';
          return { callId: req.callId, sdpAnswer, get state() { return state; }, hangup: async () => { state = 'ended'; m.close(); } };
        },
      };
      const media = createRtpMediaFactory({ host: '127.0.0.1', portMin: 45_000, portMax: 49_999, timeoutMs: 2_000 });
      const { summary, events } = await callOne('agree', { slots: 0, calls: deaf, media });
      expect(summary.disposition).toBe('NETWORK_FAILURE');
      expect(events.ended).toEqual([expect.objectContaining({ because: 'the network lost the answered call before the script ended', durationMs: expect.any(Number) })]);
      expect(events.ended![0]!.durationMs).toBeGreaterThanOrEqual(2_000);
      expect(events.ended![0]!.durationMs).toBeLessThan(4_000);
      const { rows } = await db.query<{ error: string; media: { packetsSent: number; packetsReceived: number; jitterMs: number } }>(`select error, media from attempt where call_id = $1`, [summary.callId]);
      expect(rows[0]!.error).toBe('MEDIA_TIMEOUT');
      expect(rows[0]!.media.packetsSent).toBeGreaterThan(10);
      expect(rows[0]!.media.packetsReceived).toBe(0);
    });

    it('barge-in: a callee who talks over the question cuts it; the robot hears them from their first word and goes on', async () => {
      const { summary, events, session } = await callOne('talks-over', { slots: 2 });
      const cut = session.transcript.find((l) => l.text.startsWith('(the callee spoke over the prompt'));
      expect(cut).toMatchObject({ who: 'system', step: 'offer' });
      expect(events.heard![0]).toMatchObject({ step: 'offer', intent: 'yes' });
      expect(events.heard![0]!.text).toMatch(/^Да, да, конечно/); // heard whole, from before the barge-in was decided
      expect(summary.disposition).toBe('BOOKED');
    });

    it('a backchannel ("угу") over the question only pauses it: the question is said to its end, and "угу" is not taken for an answer', async () => {
      const { events, session } = await callOne('backchannel', { slots: 2 });
      expect(session.transcript.some((l) => l.text.startsWith('(the callee spoke over the prompt'))).toBe(false);
      expect(events.heard ?? []).not.toContainEqual(expect.objectContaining({ text: 'Угу' }));
      // The robot finished the question and listened. (The simulated callee does not answer it:
      // the modem voice it hears cannot be decoded across the pause, where a person would have
      // understood; so the robot asks again.)
      const said = events.said!.map((x) => x.step);
      expect(said.slice(0, 3)).toEqual(['greet', 'offer', 'offer-again']);
    });

    for (const ptimeMs of [20, 30]) it(`a line that echoes the robot back (80 ms, 12 dB down; ptime ${ptimeMs} ms): a person who said "алло" is a human, and the echo neither cuts the question nor is heard as an answer (without the gate: machine, and the echo of the question heard as the answer)`, async () => {
      const line = echoingLine({ speech: readWav('tests/fixtures/amd/human-allo-ru-1.wav').samples, speechAtMs: 200, echoDelayMs: 80, echoLossDb: 12, ptimeMs });
      // the callee listens on through the question, then hangs up
      const timers: ReturnType<typeof setTimeout>[] = [];
      const onSession = (s: CallSession) => s.on('said', (e) => void (e.step === 'offer' && timers.push(setTimeout(() => line.hangUp(), 8_000))));
      const { summary, events, session } = await callOne('agree', { slots: 0, calls: line.calls, onSession }).finally(() => timers.forEach(clearTimeout));
      const { rows } = await db.query<{ media: { echoDelayMs: number; echoLossDb: number; framesEchoSuppressed: number } }>(`select media from attempt where call_id = $1`, [summary.callId]);
      console.log(`echoing line: ${JSON.stringify({ amd: events.amd, delay: rows[0]!.media.echoDelayMs, loss: rows[0]!.media.echoLossDb, suppressed: rows[0]!.media.framesEchoSuppressed })}`);
      expect(session_amd(events)).toBe('human');
      // the question, which may be cut, was said to its end: the echo is not the callee talking over it
      expect(events.said!.map((e) => e.step)).toContain('offer');
      expect(session.transcript.some((l) => l.text.startsWith('(the callee spoke over the prompt'))).toBe(false);
      // and the recogniser did not hear the robot's own question come back as an answer
      expect(events.heard ?? []).toEqual([]);
      // the attempt keeps what the line did: the echo's delay (80 ms, plus pacing and the far
      // end's 20 ms frames) and its loss, and how much of it was kept from the listeners
      expect(rows[0]!.media.echoDelayMs).toBeGreaterThanOrEqual(60);
      expect(rows[0]!.media.echoDelayMs).toBeLessThanOrEqual(160);
      expect(rows[0]!.media.echoLossDb).toBeGreaterThan(8);
      expect(rows[0]!.media.echoLossDb).toBeLessThan(18);
      expect(rows[0]!.media.framesEchoSuppressed).toBeGreaterThan(50);
    });

    /** The shipped script without its `voicemail` message and `screening` text: as scripts were before them. */
    const BARE: Script = { ...SCRIPT, voicemail: undefined, screening: undefined };

    it('machine detection: a mailbox greeting on answer is a machine; without a voicemail message the robot hangs up, VOICEMAIL; the verdict is in the stream and transcript', async () => {
      const { summary, events, session } = await callOne('voicemail', { slots: 0, script: BARE });
      expect(summary.disposition).toBe('VOICEMAIL');
      expect(events.ended).toEqual([expect.objectContaining({ because: 'an answering machine answered' })]);
      expect(session.transcript).toContainEqual(expect.objectContaining({ who: 'system', text: expect.stringMatching(/^answering-machine detection: machine/) }));
      // decided by 4.7 s of audio (the window in which a mailbox-like voice may yet prove an assistant)
      expect(events.ended![0]!.durationMs).toBeLessThan(6_000);
      expect(events.said!.map((s) => s.step).every((step) => step === 'greet' || step === 'offer')).toBe(true);
    });

    it('a mailbox that does not beep is left the script\'s message once quiet after its greeting: VOICEMAIL_LEFT, the mailbox hears it whole, after the greeting', async () => {
      const { summary, events, session, callee } = await callOne('voicemail', { slots: 0 });
      expect(summary.disposition).toBe('VOICEMAIL_LEFT');
      expect(events.ended).toEqual([expect.objectContaining({ because: 'an answering machine answered and the script\'s message was said to its end' })]);
      const message = 'Здравствуйте! Это поликлиника, автоматическое сообщение. Мы звонили, чтобы пригласить на бесплатный профилактический осмотр. Пожалуйста, перезвоните в регистратуру. До свидания.';
      const said = events.said!.find((e) => e.step === 'voicemail');
      expect(said).toMatchObject({ text: message });
      expect(said!.atMs).toBeGreaterThan(events.amd![0]!.atMs); // after the verdict, which came after the greeting
      expect(session.transcript).toContainEqual(expect.objectContaining({ who: 'system', step: 'voicemail', text: '(no beep; the mailbox was quiet for 2000 ms)' }));
      // the simulated mailbox: its greeting first, then the robot's message heard whole, the last thing it heard
      expect(callee).toMatchObject({ persona: 'voicemail', endedBy: 'robot' });
      expect(callee!.said).toHaveLength(1);
      expect(callee!.heard.at(-1)).toBe(message);
      expect(events.hangup).toEqual([expect.objectContaining({ by: 'robot' })]);
      const { rows } = await db.query<{ disposition: string; transcript: { who: string; step?: string; text: string }[] }>(`select disposition, transcript from attempt where call_id = $1`, [summary.callId]);
      expect(rows[0]!.disposition).toBe('VOICEMAIL_LEFT');
      expect(rows[0]!.transcript).toContainEqual(expect.objectContaining({ who: 'robot', step: 'voicemail', text: message }));
    });

    /**
     * A callee's network that answers with a recorded mailbox (a greeting, 0.3 s of silence, a
     * 1000 Hz beep of 0.5 s: tests/fixtures/amd) 200 ms after the answer, and records what it
     * hears in the modem voice the robot speaks here, with when each utterance began (ms after the
     * answer: heard at its end, less its length).
     */
    function mailboxNetwork(fixture: string): { calls: CallControl; heard: { text: string; atMs: number }[]; greetingEndsMs: number; robotSoundAtMs: number[] } {
      const factory = createRtpMediaFactory({ host: '127.0.0.1', portMin: 30_000, portMax: 39_999 });
      const greeting = readWav(`tests/fixtures/amd/${fixture}.wav`).samples;
      const heard: { text: string; atMs: number }[] = [];
      const robotSoundAtMs: number[] = [];
      const calls: CallControl = {
        ready: async () => {},
        close: async () => {},
        originate: async (req, on) => {
          const far = await factory.allocate();
          on.ringing?.();
          const sdpAnswer = far.accept(req.sdpOffer);
          const ear = new ModemListener();
          const t0 = Date.now();
          far.on('audio', (pcm) => {
            let e = 0;
            for (const v of pcm) e += v * v;
            if (Math.sqrt(e / pcm.length) > 300) robotSoundAtMs.push(Date.now() - t0);
            for (const ev of ear.push(pcm)) {
              if (ev.type === 'message') heard.push({ text: ev.text, atMs: Date.now() - t0 - (ev.endSample - ev.startSample) / 8 });
            }
          });
          setTimeout(() => void far.play(greeting), 200);
          let state: 'answered' | 'ended' = 'answered';
          return { callId: req.callId, sdpAnswer, get state() { return state; }, hangup: async () => { state = 'ended'; far.close(); } };
        },
      };
      return { calls, heard, greetingEndsMs: 200 + greeting.length / 8, robotSoundAtMs };
    }

    it('a mailbox whose short greeting beeps while the robot greets the patient by name: the robot stops at the beep (machine, at once), not into the recording', async () => {
      // a greeting of about 4 s in the modem voice, so that it is still being said at the beep (2.1 s)
      const greet = SCRIPT.steps.greet!;
      const long: Script = {
        ...BARE,
        steps: { ...SCRIPT.steps, greet: { ...greet, say: `${greet.say} ${greet.say} ${greet.say} ${greet.say}` } },
      };
      const mailbox = mailboxNetwork('machine-ru-short-beep');
      const { summary, events } = await callOne('agree', { slots: 0, calls: mailbox.calls, script: long });
      expect(summary.disposition).toBe('VOICEMAIL');
      expect(events.amd).toEqual([expect.objectContaining({ verdict: 'machine' })]);
      // decided at the beep's end, not at the end of the window for an assistant's words (4.7 s)
      expect(events.amd![0]!.atMs).toBeLessThan(mailbox.greetingEndsMs + 1_000);
      const greetingSaid = events.said!.find((e) => e.step === 'greet')!;
      expect(greetingSaid.atMs).toBeLessThan(mailbox.greetingEndsMs); // it was being said at the beep
      // the mailbox records from its beep: what the robot said after it lasted at most the few
      // frames between the beep's end and the robot's stop (RTP and the media worker's batching)
      const recorded = mailbox.robotSoundAtMs.filter((t) => t > mailbox.greetingEndsMs);
      expect(recorded.length).toBeLessThanOrEqual(15); // 300 ms
      expect(mailbox.heard.filter((h) => h.atMs >= mailbox.greetingEndsMs)).toEqual([]);
    });

    it('a mailbox that beeps is left the message at its beep, not before: VOICEMAIL_LEFT, and the mailbox hears it after the beep', async () => {
      const mailbox = mailboxNetwork('machine-ru-2-beep');
      const { summary, events, session } = await callOne('agree', { slots: 0, calls: mailbox.calls });
      expect(session_amd(events)).toBe('machine');
      expect(summary.disposition).toBe('VOICEMAIL_LEFT');
      expect(session.transcript).toContainEqual(expect.objectContaining({ who: 'system', step: 'voicemail', text: expect.stringMatching(/^\(mailbox beep: .*beep\)$/) }));
      const message = mailbox.heard.find((h) => h.text.startsWith('Здравствуйте! Это поликлиника, автоматическое сообщение.'));
      expect(message).toBeDefined();
      expect(message!.atMs).toBeGreaterThanOrEqual(mailbox.greetingEndsMs); // after the beep, which ends the greeting's clip
      expect(mailbox.heard.at(-1)).toBe(message);
    });

    it('a mailbox that had the message on an earlier attempt is not left it again (voicemail.leave: first, the default): VOICEMAIL, nothing said after the verdict', async () => {
      const mailbox = mailboxNetwork('machine-ru-2-beep');
      const { summary, events, session } = await callOne('agree', { slots: 0, calls: mailbox.calls, earlier: ['NO_ANSWER', 'VOICEMAIL_LEFT', 'VOICEMAIL'] });
      expect(session_amd(events)).toBe('machine');
      expect(summary.disposition).toBe('VOICEMAIL');
      expect(session.transcript).toContainEqual(expect.objectContaining({ who: 'system', step: 'voicemail', text: '(the message was left on an earlier attempt; not again)' }));
      expect(session.transcript.some((l) => l.who === 'robot' && l.step === 'voicemail')).toBe(false);
      expect(mailbox.heard.some((h) => h.text.startsWith('Здравствуйте! Это поликлиника, автоматическое сообщение.'))).toBe(false);
      // an earlier mailbox that was hung up on does not count: with leave: every, or none left before, it is left
      const every: Script = { ...SCRIPT, voicemail: { ...SCRIPT.voicemail!, leave: 'every' } };
      const again = mailboxNetwork('machine-ru-2-beep');
      const second = await callOne('agree', { slots: 0, calls: again.calls, earlier: ['VOICEMAIL_LEFT'], script: every });
      expect(second.summary.disposition).toBe('VOICEMAIL_LEFT');
      const none = mailboxNetwork('machine-ru-2-beep');
      const third = await callOne('agree', { slots: 0, calls: none.calls, earlier: ['VOICEMAIL'] });
      expect(third.summary.disposition).toBe('VOICEMAIL_LEFT');
    }, 60_000);

    it('a mailbox that hangs up while the message plays: VOICEMAIL, not VOICEMAIL_LEFT, hung up by the callee', async () => {
      const inner = mailboxNetwork('machine-ru-1');
      let hangUp = () => {};
      const calls: CallControl = {
        ...inner.calls,
        originate: async (req, on, signal) => {
          const leg = await inner.calls.originate(req, on, signal);
          hangUp = () => void leg.hangup().then(() => on.hangup({ by: 'callee' }));
          return leg;
        },
      };
      // the mailbox's recording time runs out half a second into the message
      const onSession = (session: CallSession) => session.on('said', (e) => void (e.step === 'voicemail' && setTimeout(() => hangUp(), 500)));
      const { summary, events, session } = await callOne('agree', { slots: 0, calls, onSession });
      expect(summary.disposition).toBe('VOICEMAIL');
      expect(events.ended).toEqual([expect.objectContaining({ because: 'an answering machine answered' })]);
      expect(events.hangup).toEqual([expect.objectContaining({ by: 'callee' })]);
      expect(session.transcript).toContainEqual(expect.objectContaining({ who: 'robot', step: 'voicemail' })); // it was begun
    });

    it('machine detection: a voice assistant asking who calls is screening; the robot stops, says who calls and why, starts over from the greeting, and books', async () => {
      const { summary, events, callee } = await callOne('screening', { slots: 2 });
      expect(session_amd(events)).toBe('screening');
      const intro = 'Здравствуйте! Это поликлиника, автоматический звонок. Мы приглашаем на бесплатный профилактический осмотр. Пожалуйста, передайте трубку.';
      const steps = events.said!.map((e) => e.step);
      const at = steps.indexOf('screening');
      expect(events.said![at]!.text).toBe(intro);
      expect(steps.slice(at, at + 3)).toEqual(['screening', 'greet', 'offer']);
      expect(events.said![at]!.atMs).toBeGreaterThanOrEqual(events.amd![0]!.atMs);
      expect(callee!.heard).toContain(intro);
      expect(callee!.heard.indexOf(intro)).toBeLessThan(callee!.heard.findIndex((h) => h.startsWith('Приглашаем вас')));
      expect(events.heard!.map((h) => h.intent)).toEqual(['yes', 'choose']);
      expect(summary.disposition).toBe('BOOKED');
    });

    it('machine detection: screening with a script that has no screening text goes on as if a person answered', async () => {
      const { summary, events } = await callOne('screening', { slots: 2, script: BARE });
      expect(session_amd(events)).toBe('screening');
      expect(events.said!.some((e) => e.step === 'screening')).toBe(false);
      expect(summary.disposition).toBe('BOOKED');
    });

    it('machine detection: a person who waits in silence is not sure, and the call goes on as before', async () => {
      const { summary, events } = await callOne('agree', { slots: 2 });
      expect(session_amd(events)).toBe('notsure');
      expect(summary.disposition).toBe('BOOKED');
    });

    it('a number on the do-not-call list: created to finished, no call placed', async () => {
      const { summary, events } = await callOne('agree', { dnc: true });
      expect(path(events)).toEqual(['created->finished']);
      expect(summary.disposition).toBe('DNC');
      expect(events.hangup).toBeUndefined();
    });
  });
}

describe('the call session\'s state diagram', () => {
  it('reaches finished from every state, and leaves finished for none', () => {
    const reaches = (from: CallState, seen = new Set<CallState>()): boolean => {
      if (from === 'finished') return true;
      seen.add(from);
      return CALL_TRANSITIONS[from].some((to) => !seen.has(to) && reaches(to, seen));
    };
    for (const state of Object.keys(CALL_TRANSITIONS) as CallState[]) expect(reaches(state), state).toBe(true);
    expect(CALL_TRANSITIONS.finished).toEqual([]);
  });
  it('never goes back to ringing or early media once answered, nor from hanging-up to anything but finished', () => {
    for (const s of ['answered', 'dialog', 'handoff', 'hanging-up'] as const) {
      expect(CALL_TRANSITIONS[s]).not.toContain('ringing');
      expect(CALL_TRANSITIONS[s]).not.toContain('early-media');
      expect(CALL_TRANSITIONS[s]).not.toContain('originating');
    }
    expect(CALL_TRANSITIONS['hanging-up']).toEqual(['finished']);
  });
});
