import type { Clock } from '../core/index.js';
import { AnsweringMachineDetector, SCREENING_CUES, type AmdOptions, type AmdVerdict, type MediaSession } from '../media/index.js';
import type { Asr } from '../speech/index.js';

/**
 * Runs machine detection on the callee's audio from the answer on, beside the greeting, and a
 * recognition stream for what a screening assistant says. The detector's time is audio time: a
 * phone that sends nothing while its user is silent is given silence frames to keep it in step
 * with the clock. Decides once: a person or an assistant as soon as heard; a machine or not sure
 * when the window for an assistant's words has passed (totalMs + 1.7 s): `told` hears the
 * verdict with its cue, `decided` acts on it. Returns a stop (the call ended first).
 */
export function detectMachine(
  p: {
    media: Pick<MediaSession, 'on'>; asr: Asr; clock: Clock; language: string; callId: string; opts: AmdOptions;
    told: (v: { verdict: AmdVerdict; cue: string; atMs: number }) => void;
  },
  decided: (v: AmdVerdict) => void,
): () => void {
  const { clock, opts } = p;
  const detector = new AnsweringMachineDetector(opts);
  const stream = p.asr.recognize({ language: p.language, hints: [...SCREENING_CUES], callId: p.callId });
  const t0 = clock.now();
  let frames = 0;
  let done = false;
  const silence = new Int16Array(160);
  const finish = (final: boolean) => {
    if (done) return;
    const v = detector.verdict();
    if (!v || (!final && v.verdict !== 'human' && v.verdict !== 'screening')) return;
    done = true;
    stop();
    p.told(v);
    decided(v.verdict);
  };
  const off = p.media.on('audio', (pcm) => {
    detector.push(pcm);
    frames++;
    stream.write(pcm);
    finish(false);
  });
  // keep the detector's audio time in step with the clock when no packets come
  const keepTime = setInterval(() => {
    const due = Math.floor((clock.now() - t0) / 20);
    while (frames < due && !done) {
      detector.push(silence);
      frames++;
    }
    finish(false);
  }, 100);
  keepTime.unref();
  const window = clock.setTimeout(() => finish(true), (opts.totalMs ?? 3_000) + 1_700);
  void (async () => {
    for await (const ev of stream.events()) {
      if (ev.type !== 'final') continue;
      detector.heard(ev.text);
      finish(false);
    }
  })().catch(() => {}); // a recogniser that fails leaves the audio cues
  const stop = () => {
    off();
    clearInterval(keepTime);
    clock.clearTimeout(window);
    stream.cancel();
  };
  return () => {
    done = true;
    stop();
  };
}
