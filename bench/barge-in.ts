/**
 * `barge-in stop:` how long after the callee's first word the robot's audio stops reaching them,
 * over real UDP on 127.0.0.1. The robot (an RtpSession with the dialog's BargeIn and the media's
 * VAD on its incoming audio) plays a long prompt; the callee (another RtpSession) starts talking
 * (a loud, speech-like signal) at a random moment of it; the time from the callee's first packet
 * sent to the last robot packet the callee receives is the stop time. The target: p95 at
 * most 200 ms.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/core/index.js';
import { BargeIn } from '../src/dialog/barge-in.js';
import { Vad } from '../src/media/index.js';
import { RtpSession } from '../src/media/rtp-session.js';

const TRIALS = 30;

function speechLike(ms: number): Int16Array {
  // syllables: a 200 Hz buzz, its loudness swelling four times a second
  const pcm = new Int16Array(ms * 8);
  for (let i = 0; i < pcm.length; i++) {
    const t = i / 8000;
    pcm[i] = Math.round(9000 * (0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t)) * Math.sign(Math.sin(2 * Math.PI * 200 * t)));
  }
  return pcm;
}

async function trial(): Promise<number> {
  const robot = await RtpSession.open();
  const callee = await RtpSession.open();
  try {
    callee.answer(robot.accept(callee.offer()));
    const bargeIn = new BargeIn(robot, new Vad(), systemClock);
    bargeIn.watch(() => {});
    let lastHeardAt = 0;
    callee.on('audio', () => (lastHeardAt = performance.now()));
    void robot.play(new Int16Array(8000 * 5).fill(3000)); // a 5 s prompt
    await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
    const talkedAt = performance.now();
    void callee.play(speechLike(1500));
    await new Promise((r) => setTimeout(r, 1000));
    bargeIn.close();
    return lastHeardAt - talkedAt;
  } finally {
    robot.close();
    callee.close();
  }
}

export async function benchBargeIn(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const stops: number[] = [];
  for (let i = 0; i < TRIALS; i++) stops.push(await trial());
  stops.sort((a, b) => a - b);
  const at = (p: number) => stops[Math.min(stops.length - 1, Math.floor((p / 100) * stops.length))]!;
  return {
    name: `barge-in stop: p95 ${at(95).toFixed(0)} ms (p50 ${at(50).toFixed(0)} ms, max ${stops[stops.length - 1]!.toFixed(0)} ms, n=${TRIALS}; target 200 ms)`,
    figures: { 'p50 ms': Math.round(at(50)), 'p95 ms': Math.round(at(95)), 'max ms': Math.round(stops[stops.length - 1]!), trials: TRIALS },
  };
}
