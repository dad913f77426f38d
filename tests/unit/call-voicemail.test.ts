import { describe, expect, it } from 'vitest';
import { ManualClock, type TranscriptLine } from '../../src/core/index.js';
import { leaveMessage, MailboxEar, MAX_BEEP_WAIT_MS } from '../../src/call/voicemail.js';
import { readWav } from '../support/wav.js';

/**
 * When a message is left on a mailbox: the ear on recorded mailbox greetings (tests/fixtures/amd),
 * and leaveMessage() against in-test ports on a clock that moves only when told.
 */
const FRAME = 160;
const clip = (name: string) => readWav(`tests/fixtures/amd/${name}.wav`).samples;
const silence = (ms: number) => new Int16Array((ms / 20) * FRAME);

/** Pushes audio frame by frame, the clock moving 20 ms a frame; returns the ms at which `when` first held, or null. */
function play(ear: MailboxEar, clock: ManualClock, pcm: Int16Array, when: () => boolean = () => false): number | null {
  let at: number | null = null;
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
    clock.advance(20);
    ear.push(pcm.subarray(i, i + FRAME));
    if (at === null && when()) at = ((i + FRAME) / FRAME) * 20;
  }
  return at;
}

describe('MailboxEar', () => {
  it('hears the beep after a greeting, once it has sounded, and not during the greeting', () => {
    const clock = new ManualClock();
    const ear = new MailboxEar(clock);
    const greeting = clip('machine-ru-2-beep');
    const beepStartsMs = (greeting.length / 8) - 500; // a 0.5 s beep ends the clip
    const heardAt = play(ear, clock, greeting, () => ear.beep !== null);
    expect(heardAt).not.toBeNull();
    expect(heardAt!).toBeGreaterThan(beepStartsMs + 140);
    expect(ear.beep).toMatch(/beep/);
    expect(ear.quietMs).toBe(0); // the beep is still sounding
    play(ear, clock, silence(400));
    expect(ear.quietMs).toBeGreaterThanOrEqual(400); // quiet since the beep ended
  });

  it('hears no beep in a greeting without one, and counts the quiet after it by the clock, frames or none', () => {
    const clock = new ManualClock();
    const ear = new MailboxEar(clock);
    play(ear, clock, clip('machine-ru-1'));
    expect(ear.quietMs).toBe(0);
    play(ear, clock, silence(1000));
    expect(ear.beep).toBeNull();
    expect(ear.quietMs).toBeGreaterThanOrEqual(1000);
    clock.advance(1500); // a phone that sends nothing while silent
    expect(ear.quietMs).toBeGreaterThanOrEqual(2500);
  });

  it('takes machine detection\'s own beep (one with no greeting before it) and keeps the first cue', () => {
    const ear = new MailboxEar(new ManualClock());
    ear.heardBeep('beep 1000 Hz');
    ear.heardBeep('beep 1200 Hz');
    expect(ear.beep).toBe('beep 1000 Hz');
  });
});

describe('leaveMessage()', () => {
  const tick = () => new Promise<void>((r) => setImmediate(r));

  function setup(p: { frames?: number; played?: (n: number) => Promise<boolean> } = {}) {
    const clock = new ManualClock();
    const ear = new MailboxEar(clock);
    const lines: TranscriptLine[] = [];
    let plays = 0;
    const flushes: number[] = [];
    const gone = new AbortController();
    const media = {
      play: () => (p.played ?? (async () => true))(++plays),
      flush: () => void flushes.push(plays),
    };
    const tts = { async *synthesize() { for (let i = 0; i < (p.frames ?? 3); i++) yield new Int16Array(FRAME); } };
    const leave = (beepWaitMs = 2000) => leaveMessage({
      ear, media, tts, clock, text: 'Это поликлиника номер семь. Перезвоните в регистратуру.', language: 'ru-RU', callId: 'c1', beepWaitMs,
      gone: gone.signal, after: Promise.resolve(), line: (l) => lines.push(l),
    });
    return { clock, ear, lines, gone, leave, plays: () => plays, flushes };
  }

  it('says the message once the mailbox has been quiet for beepWaitMs with no beep, as the robot\'s line, and reports it left', async () => {
    const s = setup();
    play(s.ear, s.clock, clip('machine-ru-1'));
    const left = s.leave(2000);
    await tick();
    s.clock.advance(1500);
    await tick();
    expect(s.plays()).toBe(0); // not quiet long enough yet
    s.clock.advance(1000);
    expect(await left).toBe('left');
    expect(s.plays()).toBe(3);
    expect(s.lines.map((l) => [l.who, l.step, l.text])).toEqual([
      ['system', 'voicemail', '(no beep; the mailbox was quiet for 2000 ms)'],
      ['robot', 'voicemail', 'Это поликлиника номер семь. Перезвоните в регистратуру.'],
    ]);
  });

  it('says it at once when the beep was heard and has ended', async () => {
    const s = setup();
    play(s.ear, s.clock, clip('machine-ru-2-beep'));
    play(s.ear, s.clock, silence(400));
    expect(await s.leave(5000)).toBe('left');
    expect(s.lines[0]!.text).toMatch(/^\(mailbox beep: .*beep\)$/);
  });

  it('reports a message cut when the line goes while it plays, and flushes what was queued', async () => {
    let gone!: () => void;
    const s = setup({ played: async (n) => {
      if (n === 2) gone();
      return n < 2;
    } });
    gone = () => s.gone.abort();
    play(s.ear, s.clock, clip('machine-beep-only'));
    s.ear.heardBeep('beep 1000 Hz');
    play(s.ear, s.clock, silence(400));
    expect(await s.leave()).toBe('cut');
    expect(s.flushes).toEqual([2]);
  });

  it('says nothing to a line that hangs up while it waits (gone), nor to one that never goes quiet (no-pause)', async () => {
    const s = setup();
    const gone = s.leave();
    await tick();
    s.ear.push(new Int16Array(FRAME).fill(8000)); // sound
    s.gone.abort();
    s.clock.advance(100);
    expect(await gone).toBe('gone');

    const t = setup();
    // talk that never pauses for longer than the Vad's hangover: 200 ms of sound, 100 ms of silence
    const sound = new Int16Array(FRAME).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const waiting = t.leave();
    for (let frame = 0; frame * 20 <= MAX_BEEP_WAIT_MS; frame++) {
      t.ear.push(frame % 15 < 10 ? sound : new Int16Array(FRAME));
      t.clock.advance(20);
      if (frame % 50 === 0) await tick();
    }
    expect(await waiting).toBe('no-pause');
    expect(t.plays()).toBe(0);
    expect(t.lines.map((l) => l.text)).toEqual([`(the mailbox never went quiet in ${MAX_BEEP_WAIT_MS / 1000} s; no message left)`]);
  });
});
