import { z } from 'zod';
import { matchIntent } from '../intents.js';
import { intentName, phrase } from '../schema-parts.js';
import { behaviour, defineVerb, invokeAct, type VerbResult } from './verb.js';

/** Longest a single answer may run before the robot stops listening. */
const MAX_UTTERANCE_MS = 15_000;

/** intent -> phrases that mean it */
const Listen = z
  .record(intentName, z.array(phrase).min(1).max(200))
  .refine((l) => Object.keys(l).length <= 50, 'at most 50 intents');
type Listen = z.infer<typeof Listen>;

/**
 * `listen`: the callee answers by voice or keypad; the answer is matched to the step's intents.
 * Outcomes: each intent, `silence` (nothing said in time), `unknown` (said, but no intent fits).
 */
const run = behaviour<{ intents: Listen; silenceMs: number | null }>(async ({ step, args, call }, signal): Promise<VerbResult> => {
  const { clock, asr, audio } = call.deps;
  const stream = asr.recognize({ language: call.language, hints: Object.values(args.intents).flat(), callId: call.callId });
  let outcome = 'silence';
  let text = '';
  const stop = () => stream.cancel();
  // A key pressed while listening is an answer too: the script names digits among an intent's
  // phrases ("нажмите 1": yes: [да, "1"]); a key that no intent names is 'unknown'.
  let key: string | null = null;
  const offKeys = audio.on('dtmf', (digit) => {
    if (key !== null) return;
    key = digit;
    stop();
  });
  // after a barge-in, the callee's words from where they started talking over the prompt
  for (const pcm of call.bargeIn?.takePreRoll() ?? []) stream.write(pcm);
  const off = audio.on('audio', (pcm) => stream.write(pcm));
  let timer = clock.setTimeout(stop, args.silenceMs ?? call.silenceMs);
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const ev of stream.events()) {
      if (ev.type === 'speech-start') {
        clock.clearTimeout(timer);
        timer = clock.setTimeout(stop, MAX_UTTERANCE_MS);
      } else {
        outcome = matchIntent(ev.text, args.intents) ?? 'unknown';
        text = ev.text;
        call.note('callee', ev.text, step, outcome, ev.confidence);
        break;
      }
    }
  } finally {
    off();
    offKeys();
    clock.clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    stream.cancel();
  }
  if (key !== null && outcome === 'silence') {
    outcome = matchIntent(key, args.intents) ?? 'unknown';
    text = key;
    call.note('system', `(key ${key} pressed: ${outcome})`, step, outcome);
  }
  if (outcome === 'silence') {
    call.note('system', '(silence)', step, 'silence');
    return { outcome };
  }
  return { outcome, set: { heard: { step, text, intent: outcome } } };
});

export const listen = defineVerb<Listen>({
  key: 'listen',
  args: Listen,
  listens: true,
  outcomes: (intents) => ({ required: [...Object.keys(intents), 'silence', 'unknown'], optional: [] }),
  act: (name, intents, step, go) => invokeAct(name, { intents, silenceMs: step.silenceMs ?? null }, step.on ?? {}, run, go),
});
