import { ScriptError } from '../../core/index.js';
import { isBuiltin, type BuiltinIntent, type IntentDefinition, type IntentLanguage, type IntentMatcher, type IntentResult } from './api.js';
import { en } from './en.js';
import type { Lexicon } from './lexicon.js';
import { compilePattern, findSpans, phrasePattern, type Pattern, type Span } from './pattern.js';
import { ru } from './ru.js';
import { findChoice } from './slots.js';
import { tokenize, type Token } from './tokens.js';

const LEXICONS: Record<IntentLanguage, Lexicon> = { ru, en };

/**
 * How much a match of each intent weighs when several intents match one answer. The specific
 * outweighs the generic: "да, перезвоните завтра" is callback, "нет, это не я" wrong_person,
 * "нет, я уже прошла" already_done. Yes and no are what is left; on a tie no wins, because
 * "да нет" and "конечно нет" mean no. A wrong person outweighs a request to stop calling
 * ("вы не тому звоните"): it says more, and a wrong number is not called again anyway. A
 * script's own phrases are explicit, so they weigh more than any built-in but those two.
 */
const STRENGTH: Record<BuiltinIntent, number> = {
  wrong_person: 4.1, stop_calling: 4, already_done: 3, operator: 3, callback: 3, repeat: 3,
  choose: 2, later: 2, earlier: 2, another_day: 2, no: 1.1, yes: 1,
};
const CUSTOM_STRENGTH = 3.5;
/** a question back or a doubt outweighs a stray yes or no inside it ("а можно узнать, сколько стоит?") */
const UNSURE_STRENGTH = 1.5;
/** the rules' name for lexicon.unsure; not an intent anyone can define (intentProblems rejects the empty name) */
const UNSURE = '';
/** extra phrases a script adds to a built-in weigh a little more than the built-in's own */
const EXTRA_BONUS = 0.25;

/** BCP 47 tag to a language with a library: "ru-RU" -> ru, "en_us" -> en. */
export function intentLanguage(tag: string): IntentLanguage | null {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return primary === 'ru' || primary === 'en' ? primary : null;
}

function lexiconFor(language: string): Lexicon {
  const lang = intentLanguage(language);
  if (!lang) {
    throw new ScriptError('SCRIPT_INVALID', `no intent library for language "${language}"`, {}, { hint: 'use a Russian (ru-RU) or English (en-US) language tag' });
  }
  return LEXICONS[lang];
}

interface Rule { intent: string; pattern: Pattern; strength: number }
interface Hit extends Span { intent: string; strength: number; source: string; slots?: Record<string, string | number> }

const builtinCache = new Map<Lexicon, Map<BuiltinIntent, Pattern[]>>();
function builtinPatterns(lex: Lexicon): Map<BuiltinIntent, Pattern[]> {
  let m = builtinCache.get(lex);
  if (!m) {
    m = new Map(Object.entries(lex.patterns).map(([k, ps]) => [k as BuiltinIntent, ps.map((p) => compilePattern(p, lex))]));
    builtinCache.set(lex, m);
  }
  return m;
}

const unsureCache = new Map<Lexicon, Pattern[]>();
function rulesFor(lex: Lexicon, intents: Readonly<Record<string, IntentDefinition>>): Rule[] {
  let unsure = unsureCache.get(lex);
  if (!unsure) unsureCache.set(lex, (unsure = lex.unsure.map((p) => compilePattern(p, lex))));
  const rules: Rule[] = unsure.map((pattern) => ({ intent: UNSURE, pattern, strength: pattern.strength ?? UNSURE_STRENGTH }));
  const builtins = builtinPatterns(lex);
  for (const [intent, def] of Object.entries(intents)) {
    const base = isBuiltin(intent) ? STRENGTH[intent] : CUSTOM_STRENGTH;
    if (isBuiltin(intent) && !def.replace) {
      for (const pattern of builtins.get(intent) ?? []) rules.push({ intent, pattern, strength: pattern.strength ?? base });
    }
    const extra = isBuiltin(intent) ? base + EXTRA_BONUS : base;
    for (const phrase of def.phrases ?? []) {
      const pattern = phrasePattern(phrase, lex);
      if (pattern) rules.push({ intent, pattern, strength: extra });
    }
  }
  // The built-ins the step does not hear still match, as shadows: an answer that means one of them
  // is not forced onto a weaker intent the step has ("давайте позже поговорим" is no "да" where
  // call-backs are not in play): it is none, and the step asks again. Not the slot choices: in a
  // yes/no answer "завтра" or "в первой половине дня" is a detail, not another answer.
  for (const [intent, patterns] of builtins) {
    if (Object.hasOwn(intents, intent) || SLOT_CHOICE.has(intent)) continue;
    for (const pattern of patterns) rules.push({ intent: SHADOW, pattern, strength: pattern.strength ?? STRENGTH[intent] });
  }
  return rules;
}

const SLOT_CHOICE: ReadonlySet<string> = new Set(['choose', 'later', 'earlier', 'another_day']);

/** The intent name of a built-in the step does not hear (never answered). */
const SHADOW = '(not in this step)';

function hitsOf(rules: readonly Rule[], toks: readonly Token[], lex: Lexicon, choose: boolean): Hit[] {
  const hits: Hit[] = [];
  for (const r of rules) for (const s of findSpans(r.pattern, toks)) hits.push({ ...s, intent: r.intent, strength: r.strength, source: r.pattern.source });
  if (choose) {
    const c = findChoice(toks, lex);
    if (c) hits.push({ start: c.start, end: c.end, intent: 'choose', strength: STRENGTH.choose, source: '(slot choice)', slots: c.slots });
  }
  // a match inside a longer, no weaker match of another intent is part of it: "хочу" in "не хочу",
  // "нет" in "почему бы и нет", "второй" in "во второй половине дня"
  const kept = hits.filter((h) => !hits.some((o) => o.intent !== h.intent && o.strength >= h.strength && o.start <= h.start && o.end >= h.end && o.end - o.start > h.end - h.start));
  // a shadow counts only for words no intent of the step claims ("попозже" is the step's callback
  // where it hears call-backs, though a slot step's `later` is stronger)
  const claimed = kept.filter((h) => h.intent !== SHADOW && h.intent !== UNSURE);
  return kept.filter((h) => h.intent !== SHADOW || !claimed.some((o) => o.start < h.end && h.start < o.end));
}

const NONE: IntentResult = { intent: null, confidence: 0, slots: {} };

function decide(hits: readonly Hit[], toks: readonly Token[]): IntentResult {
  if (!hits.length) return { ...NONE, confidence: toks.length ? 0.1 : 0 };
  const best = hits.reduce((a, b) => {
    if (b.strength !== a.strength) return b.strength > a.strength ? b : a;
    return b.end - b.start > a.end - a.start ? b : a;
  });
  if (best.intent === UNSURE || best.intent === SHADOW) return { ...NONE, confidence: 0.2 };
  const covered = new Set<number>();
  for (const h of hits) if (h.intent === best.intent) for (let i = h.start; i < h.end; i++) covered.add(i);
  const coverage = covered.size / toks.length;
  const rivals = new Set(hits.filter((h) => h.intent !== best.intent && h.intent !== SHADOW).map((h) => h.intent)).size;
  // a clear hit (the answer is mostly the phrase, nothing else matched) comes out near 1
  const confidence = Math.min(1, 0.55 + 0.35 * Math.min(1, coverage * 1.5) + (rivals ? 0 : 0.1) - 0.05 * rivals);
  const slots = best.intent === 'choose' ? { ...hits.find((h) => h.slots)?.slots } : {};
  return { intent: best.intent, confidence: Math.round(confidence * 100) / 100, slots };
}

/** Answers one more word can turn around ("да нет", "нет проблем", "во второй половине") or complete ("во вторник в 9:40"); never answered from a partial result. */
const FLIPPABLE = new Set(['yes', 'no', 'choose']);
const PARTIAL_MIN_CONFIDENCE = 0.8;

export function intentMatcher(language: string, intents: Readonly<Record<string, IntentDefinition>>): IntentMatcher {
  const lex = lexiconFor(language);
  const rules = rulesFor(lex, intents);
  const names = Object.keys(intents);
  const choose = 'choose' in intents;
  return {
    intents: names,
    match(text, opts) {
      let toks = tokenize(text, lex);
      if (opts?.partial) {
        // the last word of an interim result may be cut ("перезвон"); judge without it, unless
        // a space or a punctuation mark after it says it was finished
        if (!/[\s\p{P}]$/u.test(text)) toks = toks.slice(0, -1);
        const r = decide(hitsOf(rules, toks, lex, choose), toks);
        if (!r.intent || FLIPPABLE.has(r.intent) || r.confidence < PARTIAL_MIN_CONFIDENCE) return { ...NONE, confidence: Math.min(r.confidence, 0.3) };
        return r;
      }
      return decide(hitsOf(rules, toks, lex, choose), toks);
    },
  };
}

/** Why an answer was heard as it was: its words and every pattern that matched (for debugging a lexicon; not exported by index.ts). */
export function explain(language: string, intents: Readonly<Record<string, IntentDefinition>>, text: string): { words: string[]; hits: Hit[] } {
  const lex = lexiconFor(language);
  const toks = tokenize(text, lex);
  return { words: toks.map((t) => `${t.w}/${t.s}`), hits: hitsOf(rulesFor(lex, intents), toks, lex, 'choose' in intents) };
}

export interface IntentProblem { intent: string; phrase?: string; message: string }

/** What a script checker should report about one step's intents; empty when all is well. */
export function intentProblems(language: string, intents: Readonly<Record<string, IntentDefinition>>): IntentProblem[] {
  const lang = intentLanguage(language);
  if (!lang) return [{ intent: '*', message: `no intent library for language "${language}"` }];
  const lex = LEXICONS[lang];
  const problems: IntentProblem[] = [];
  const seen = new Map<string, string>();
  const builtins = builtinPatterns(lex);
  for (const [intent, def] of Object.entries(intents)) {
    if (intent === '') problems.push({ intent, message: 'an intent needs a name' });
    if (intent === 'none') problems.push({ intent, message: '"none" is what the matcher answers when nothing fits; name the intent otherwise' });
    const phrases = def.phrases ?? [];
    if (!isBuiltin(intent) && !phrases.length) problems.push({ intent, message: `intent "${intent}" has no phrases` });
    if (!isBuiltin(intent) && def.replace) problems.push({ intent, message: `intent "${intent}" is not built in, so there is nothing to replace` });
    if (isBuiltin(intent) && def.replace && !phrases.length) problems.push({ intent, message: `built-in intent "${intent}" is replaced by no phrases` });
    for (const phrase of phrases) {
      const toks = tokenize(phrase, lex);
      const key = toks.map((t) => t.s).join(' ');
      if (!key || toks.every((t) => lex.fillers.has(t.w))) { problems.push({ intent, phrase, message: `phrase "${phrase}" has no words the matcher keeps` }); continue; }
      const other = seen.get(key);
      // the same stem twice in one intent ("оператор", "оператора") is harmless; in two, the step cannot tell them apart
      if (other !== undefined && other !== intent) problems.push({ intent, phrase, message: `phrase "${phrase}" is also in intent "${other}"` });
      seen.set(key, intent);
      // the phrase said alone would also be heard as another built-in intent of this step
      for (const [b, bdef] of Object.entries(intents)) {
        if (b === intent || !isBuiltin(b) || bdef.replace) continue;
        const hit = (builtins.get(b) ?? []).find((p) => findSpans(p, toks).some((s) => s.start === 0 && s.end === toks.length));
        if (hit) problems.push({ intent, phrase, message: `phrase "${phrase}" is also built-in intent "${b}" ("${hit.source}")` });
      }
    }
  }
  return problems;
}
