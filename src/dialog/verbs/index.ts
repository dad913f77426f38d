import { book } from './book.js';
import { callback } from './callback.js';
import { end } from './end.js';
import { handoff } from './handoff.js';
import { listen } from './listen.js';
import { next } from './next.js';
import { reschedule } from './reschedule.js';
import { slots } from './slots.js';
import { visit } from './visit.js';
import type { AnyVerb } from './verb.js';

/** Every verb of the dialog language (verb.ts says what one is). A new verb: its file, and a line here. */
export const VERBS: readonly AnyVerb[] = [listen, slots, book, handoff, next, end, visit, reschedule, callback];

export { type AnyVerb, type CallScope, type DialogContext, type DialogEvent, type DialogState, type ScriptView, type StepView } from './verb.js';
