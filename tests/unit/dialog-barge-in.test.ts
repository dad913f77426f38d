import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { BargeIn } from '../../src/dialog/barge-in.js';
import type { CallAudio } from '../../src/dialog/index.js';
import { Vad } from '../../src/media/index.js';
import { seededRandom } from '../support/random.js';

/** A call's audio with the robot's side recorded: which frame each pause/resume/flush came at. */
function fakeCall() {
  let listener: ((pcm: Int16Array) => void) | null = null;
  let frame = 0;
  const calls: [string, number][] = [];
  const audio: CallAudio = {
    play: async () => true,
    flush: () => void calls.push(['flush', frame]),
    pause: () => void calls.push(['pause', frame]),
    resume: () => void calls.push(['resume', frame]),
    on: ((_: string, fn: (pcm: Int16Array) => void) => {
      listener = fn;
      return () => (listener = null);
    }) as CallAudio['on'],
  };
  const rnd = seededRandom(4);
  /** n frames of the callee: silence, or speech-loud sound */
  const send = (n: number, loud: boolean) => {
    for (let i = 0; i < n; i++) {
      const pcm = Int16Array.from({ length: 160 }, () => (loud ? Math.round((rnd() * 2 - 1) * 6000) : 0));
      frame++;
      listener?.(pcm);
    }
  };
  return { audio, calls, send, frameNow: () => frame };
}

describe('barge-in', () => {
  it('pauses the prompt within 200 ms of the callee starting to talk, cuts it at 600 ms, and hands the listen their words from the start', () => {
    const clock = new ManualClock(0);
    const c = fakeCall();
    const b = new BargeIn(c.audio, new Vad(), clock);
    c.send(50, false);
    let cutAt = -1;
    b.watch(() => (cutAt = c.frameNow()));
    c.send(40, true); // the callee talks from frame 51 on
    const pause = c.calls.find(([what]) => what === 'pause')!;
    expect((pause[1] - 50) * 20).toBeLessThanOrEqual(200);
    expect((cutAt - 50) * 20).toBeGreaterThanOrEqual(600);
    expect((cutAt - 50) * 20).toBeLessThanOrEqual(700);
    expect(c.calls.map(([what]) => what)).toEqual(['pause', 'flush', 'resume']);
    const pre = b.takePreRoll();
    expect(pre.length).toBeGreaterThanOrEqual(40); // everything the callee said, and a little before
    expect(pre.length).toBeLessThanOrEqual(45);
    expect(b.takePreRoll()).toEqual([]); // once
    b.close();
  });

  it('a backchannel (300 ms) pauses the prompt and resumes it; nothing is cut or handed on', () => {
    const clock = new ManualClock(0);
    const c = fakeCall();
    const b = new BargeIn(c.audio, new Vad(), clock);
    c.send(50, false);
    let cut = false;
    b.watch(() => (cut = true));
    c.send(15, true);
    c.send(30, false);
    expect(cut).toBe(false);
    expect(c.calls.map(([what]) => what)).toEqual(['pause', 'resume']);
    expect(b.takePreRoll()).toEqual([]);
  });

  it('a phone that stops sending when its user stops talking: the pause ends on the quiet, not on frames that never come', () => {
    const clock = new ManualClock(0);
    const c = fakeCall();
    const b = new BargeIn(c.audio, new Vad(), clock);
    c.send(50, false);
    b.watch(() => {});
    c.send(10, true); // then nothing at all
    expect(c.calls.map(([what]) => what)).toEqual(['pause']);
    clock.advance(150);
    expect(c.calls.map(([what]) => what)).toEqual(['pause', 'resume']);
  });

  it('a prompt that is not watched (not interruptible: the robot naming itself, a disclosure) is never paused', () => {
    const clock = new ManualClock(0);
    const c = fakeCall();
    const b = new BargeIn(c.audio, new Vad(), clock);
    c.send(50, false);
    c.send(60, true);
    expect(c.calls).toEqual([]);
    b.close();
  });
});
