import type { CallScope } from './verbs/verb.js';

/** Longest a single answer may run before the robot stops listening. */
const MAX_UTTERANCE_MS = 15_000;

export type Answer =
  | { kind: 'said'; text: string; confidence: number }
  | { kind: 'key'; digit: string }
  | { kind: 'silence' };

/**
 * One answer from the callee: what the recogniser heard them say, a key they pressed (when
 * `keys`), or silence (nothing begun within `silenceMs`). After a barge-in the recogniser first
 * gets the callee's words from where they began talking over the prompt. The stream is closed on
 * every way out, the step's abort included.
 */
export async function hear(
  call: CallScope,
  o: { hints: string[]; grammar?: string[]; silenceMs: number | null; keys: boolean; signal: AbortSignal },
): Promise<Answer> {
  const { clock, asr, audio } = call.deps;
  // a key pressed while the prompt played is the answer already
  const early = o.keys ? call.keys.take() : null;
  if (early !== null) return { kind: 'key', digit: early };
  const stream = asr.recognize({ language: call.language, hints: o.hints, ...(o.grammar?.length ? { grammar: o.grammar } : {}), callId: call.callId });
  const stop = () => stream.cancel();
  let digit: string | null = null;
  const offKeys = o.keys
    ? call.keys.onKey((d) => {
      if (digit !== null) return;
      digit = d;
      call.keys.take();
      stop();
    })
    : () => {};
  for (const pcm of call.bargeIn?.takePreRoll() ?? []) stream.write(pcm);
  const off = audio.on('audio', (pcm) => stream.write(pcm));
  let timer = clock.setTimeout(stop, o.silenceMs ?? call.silenceMs);
  o.signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const ev of stream.events()) {
      if (ev.type === 'speech-start') {
        clock.clearTimeout(timer);
        // an answer that runs on is cut, and what was said so far is still heard (end(), not cancel())
        timer = clock.setTimeout(() => stream.end(), MAX_UTTERANCE_MS);
      } else if (ev.type === 'final') {
        return { kind: 'said', text: ev.text, confidence: ev.confidence };
      } else if (ev.type === 'no-match') {
        // speech outside the step's grammar: heard, understood as nothing the step expects
        return { kind: 'said', text: '', confidence: ev.confidence };
      }
    }
  } finally {
    off();
    offKeys();
    clock.clearTimeout(timer);
    o.signal.removeEventListener('abort', stop);
    stream.cancel();
  }
  return digit !== null ? { kind: 'key', digit } : { kind: 'silence' };
}
