import { numbersToWords } from '../core/index.js';
import { slotPhrase, slotWords } from './slot-words.js';
import { IMPERSONAL_VARS, placeholders, render, type TemplateVar } from './template.js';
import { behaviour, FAILED, stateOf, type CallScope, type DialogContext, type DialogState, type DialogStateConfig } from './verbs/verb.js';

/**
 * A step's prompt: its text with the placeholders filled from the call's state, synthesised and
 * played. The callee talking over an interruptible prompt cuts it (barge-in.ts): the rest is not
 * said, and the step goes on to its verb, whose listen hears them from where they started.
 */
export const prompt = behaviour<{ text: string; interruptible: boolean }>(async ({ step, args, state, call }, signal) => {
  // the transcript reads "в понедельник, 7 декабря, в 9:40"; the voice is given it in words
  const shown = render(args.text, { ...state.vars, ...slotVars(state, call, slotPhrase) });
  const spoken = render(args.text, { ...state.vars, ...slotVars(state, call, slotWords) });
  await say(call, step, { shown, spoken, interruptible: args.interruptible, fixed: isFixed(args.text) }, signal);
  return { outcome: 'done' };
});

/**
 * Says a text already filled in: noted in the transcript as `shown`, synthesised from `spoken`
 * with its numbers in words, played to its end (or until a barge-in or a key cuts an interruptible
 * one). Throws SpeechError when no engine can speak.
 */
export async function say(call: CallScope, step: string, t: { shown: string; spoken: string; interruptible: boolean; fixed?: boolean }, signal: AbortSignal): Promise<void> {
  call.note('robot', t.shown, step);
  const text = numbersToWords(t.spoken, call.language);
  const cut = new AbortController();
  call.keys.clear(); // a key pressed before this question is no answer to it
  const unwatch = t.interruptible && call.bargeIn
    ? call.bargeIn.watch(() => {
      call.note('system', '(the callee spoke over the prompt; the rest was not said)', step);
      cut.abort();
    })
    : () => {};
  // a key pressed while the prompt plays is kept for the listen; it cuts a prompt that may be cut
  const unkey = t.interruptible
    ? call.keys.onKey(() => {
      if (cut.signal.aborted) return;
      call.note('system', '(the callee pressed a key over the prompt; the rest was not said)', step);
      call.deps.audio.flush();
      cut.abort();
    })
    : () => {};
  const stop = AbortSignal.any([signal, cut.signal]);
  let last: Promise<boolean> = Promise.resolve(true);
  try {
    for await (const pcm of call.deps.tts.synthesize({ text, language: call.language, callId: call.callId, ...(t.fixed ? { fixed: true } : {}) }, stop)) {
      if (stop.aborted) break;
      call.audioStarted();
      last = call.deps.audio.play(pcm);
    }
    await last;
  } catch (err) {
    if (!cut.signal.aborted) throw err; // a synthesis cut short by the barge-in is no failure
  } finally {
    unwatch();
    unkey();
  }
}

/** Says a text (a step's prompt; a re-prompt; the screening introduction, which an assistant talks over and so is never cut), then goes on. */
export function sayThen(step: string, text: string, interruptible: boolean, then: string): DialogStateConfig {
  return {
    invoke: {
      src: prompt,
      input: ({ context }: { context: DialogContext }) => ({ step, args: { text, interruptible }, state: stateOf(context), call: context.call }),
      onDone: then,
      onError: FAILED,
    },
  };
}

const SLOT_VARS = ['slot.1', 'slot.2', 'slot.3', 'slot.4', 'slot.5'] as const satisfies readonly TemplateVar[];

/** {slot.1} .. {slot.5} from the slots on offer, {booked} and {visit}, said in the clinic's time zone. */
function slotVars(state: DialogState, call: CallScope, say: (start: Date, language: string, timeZone: string) => string): Partial<Record<TemplateVar, string>> {
  const vars: Partial<Record<TemplateVar, string>> = {};
  state.offered.slice(0, SLOT_VARS.length).forEach((s, i) => {
    vars[SLOT_VARS[i]!] = say(s.startsAt, call.language, call.timeZone);
  });
  if (state.booked) vars.booked = say(state.booked.startsAt, call.language, call.timeZone);
  if (state.visit) vars.visit = say(state.visit.startsAt, call.language, call.timeZone);
  // a call back is said on the callee's clock: it is their evening they asked for
  if (state.callbackAt) vars.callback = say(state.callbackAt, call.language, call.calleeTimeZone);
  return vars;
}

/** A prompt the same for every call: no placeholder but the clinic's. Its audio may be kept (src/speech/tts-cache.ts). */
export function isFixed(template: string): boolean {
  return placeholders(template).every((v) => (IMPERSONAL_VARS as readonly string[]).includes(v));
}

/**
 * The fixed prompts of a script as its calls will ask for them (numbers in words, the clinic's
 * name filled in), so a campaign can have them rendered before its first call: every `say` of
 * its steps and re-prompts, and its screening introduction.
 */
export function fixedPrompts(script: { language: string; steps: Readonly<Record<string, unknown>>; screening?: { say: string } }, clinic: { name: string; phone?: string }): string[] {
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'say' || k === 'message') && typeof x === 'string') texts.push(x);
      else walk(x);
    }
  };
  walk(script.steps);
  if (script.screening) texts.push(script.screening.say);
  const vars = { 'clinic.name': clinic.name, 'clinic.phone': clinic.phone ?? '' };
  return [...new Set(texts.filter(isFixed).map((t) => numbersToWords(render(t, vars), script.language)))];
}
