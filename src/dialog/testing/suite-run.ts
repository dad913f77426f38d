import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { ManualClock, type Slot, type TranscriptLine } from '../../core/index.js';
import { callingWindows, fitToCallingHours } from '../../core/index.js';
import type { VoiceActivity } from '../barge-in.js';
import { compileScript } from '../compile.js';
import type { DialogDeps, DialogResult, SlotDesk } from '../ports.js';
import { DialogRun } from '../runtime.js';
import { Callee, energyAsr, FRAME_MS, SimulatedLine, toneTts } from './simulated-call.js';
import type { Suite, SuiteCase } from './suite-file.js';

/** A case whose call has not ended after this much fake time fails as "did not end" (a loop, a listen that never times out). */
const CAP_MS = 10 * 60_000;

export interface CaseFailure {
  /** "file:line:col" of the expectation that failed (or of the case) */
  where: string;
  /** "disposition: expected BOOKED, got DECLINED" */
  what: string;
}

export interface CaseReport {
  suite: string;
  name: string;
  ok: boolean;
  failures: CaseFailure[];
  /** wall-clock time the case took, ms */
  ms: number;
  /** how long the simulated call lasted, ms of fake time */
  callMs: number;
  /** what the call came to */
  path: string[];
  result: DialogResult;
}

export interface SuiteRunOptions {
  /** the voice activity detector barge-in uses (media's Vad in the app); without one, no prompt can be talked over */
  vad?: () => VoiceActivity;
}

/**
 * Runs every case of a suite: each a whole call through DialogRun, on a fresh fake clock with
 * in-memory ports (simulated-call.ts), driven in 20 ms steps; then checks its expectations.
 */
export async function runSuite(suite: Suite, opts: SuiteRunOptions = {}): Promise<CaseReport[]> {
  const machine = compileScript(suite.script);
  const reports: CaseReport[] = [];
  for (const c of suite.cases) reports.push(await runCase(suite, c, machine, opts));
  return reports;
}

async function runCase(suite: Suite, c: SuiteCase, machine: ReturnType<typeof compileScript>, opts: SuiteRunOptions): Promise<CaseReport> {
  const t0 = performance.now();
  const clock = new ManualClock(suite.now);
  let dnc = false;
  let callbackAt: Date | null = null;
  const desk = slotDesk(suite.slots, c.taken, c.visitGone ? null : suite.visit);
  // the callee hangs up on the run and presses keys on the line, both made after it (and used only once the call runs)
  const callee = new Callee(c.persona, c.turns, clock, { hangUp: () => run.hangUp(), press: (d) => line.press(d) });
  // the step of the robot's latest line: the prompt a barge-in cuts
  let speaking = '';
  const cuts: string[] = [];
  const line = new SimulatedLine(clock, callee, () => cuts.push(speaking));
  const deps: DialogDeps = {
    audio: line,
    tts: toneTts,
    asr: energyAsr(clock, callee, () => callee.listening()),
    slots: desk,
    operators: { handoff: async () => c.operators },
    callbacks: {
      fit: (t) => fitToCallingHours(t, { timeZone: suite.clinic.timeZone, windows: callingWindows(suite.callingHours), calendar: suite.callingHours.calendar }),
      request: (at) => {
        callbackAt = at;
      },
    },
    clock,
    onDoNotCall: () => (dnc = true),
    onLine: (l) => {
      if (l.who !== 'robot') return;
      speaking = l.step ?? '';
      callee.robotSaid();
    },
    ...(opts.vad ? { vad: opts.vad } : {}),
  };
  const run = new DialogRun(suite.script, { callId: `test-${c.name}`, patient: suite.patient, clinic: suite.clinic, visit: await desk.visit() }, deps, machine);
  let ended = false;
  const done = run.run().finally(() => (ended = true));
  await nextTurn();
  const start = clock.now();
  while (!ended && clock.now() - start < CAP_MS) {
    clock.advance(FRAME_MS);
    await nextTurn();
  }
  const endedInTime = ended;
  if (!endedInTime) run.stop();
  const r = await done;
  line.close();
  const path = pathOf(r.transcript);
  const failures = endedInTime
    ? check(suite, c, r, { path, booked: r.booked ? Number(r.booked.id) : null, dnc, cuts, visit: desk.visitState(), callbackAt })
    : [{ where: suite.at(['cases', c.name]), what: `the call did not end within ${CAP_MS / 60_000} minutes of simulated time (last step: ${path.at(-1) ?? 'none'})` }];
  if (r.error) failures.unshift({ where: suite.at(['cases', c.name]), what: `the dialog failed: ${r.error instanceof Error ? r.error.message : String(r.error)}` });
  return { suite: suite.file, name: c.name, ok: failures.length === 0, failures, ms: performance.now() - t0, callMs: clock.now() - start, path, result: r };
}

type VisitState = 'unchanged' | 'confirmed' | 'cancelled' | { moved: number };

/**
 * The suite's slots as a registry would hand them out: in order, none booked or taken twice;
 * `taken` ones are someone else's. The visit a reminder is about, if any (null: none, or gone).
 */
function slotDesk(slots: Slot[], taken: number[], visit: Slot | null): SlotDesk & { visitState(): VisitState } {
  const gone = new Set<string>();
  let state: VisitState = 'unchanged';
  const live = () => visit !== null && state !== 'cancelled';
  const claim = (slot: Slot): 'booked' | 'taken' => {
    gone.add(slot.id);
    return taken.includes(Number(slot.id)) ? 'taken' : 'booked';
  };
  return {
    offer: async ({ count, after }) => slots.filter((s) => !gone.has(s.id) && (!after || s.startsAt > after)).slice(0, count),
    book: async (slot) => claim(slot),
    visit: async () => (live() ? visit : null),
    confirmVisit: async () => (live() ? ((state = 'confirmed'), 'confirmed') : 'gone'),
    cancelVisit: async () => (live() ? ((state = 'cancelled'), 'cancelled') : 'gone'),
    moveVisit: async (slot) => {
      if (!live()) return 'gone';
      if (claim(slot) === 'taken') return 'taken';
      state = { moved: Number(slot.id) };
      return 'moved';
    },
    visitState: () => state,
  };
}

/** The steps the transcript names, in order; a step asked again in place (a re-prompt, "repeat") counts once. */
export function pathOf(transcript: readonly TranscriptLine[]): string[] {
  const path: string[] = [];
  for (const l of transcript) if (l.step && l.step !== path.at(-1)) path.push(l.step);
  return path;
}

const list = (xs: readonly string[]) => `[${xs.join(', ')}]`;
const short = (s: string, max = 80) => (s.length > max ? `${s.slice(0, max)}…` : s);

/** What the runner saw beside the result: the transcript's path, the booked slot's place in the suite, the do-not-call call, the prompts cut. */
interface Seen {
  path: string[];
  booked: number | null;
  dnc: boolean;
  cuts: string[];
  visit: VisitState;
  callbackAt: Date | null;
}

function check(suite: Suite, c: SuiteCase, r: DialogResult, { path, booked, dnc, cuts, visit, callbackAt }: Seen): CaseFailure[] {
  const e = c.expect;
  const out: CaseFailure[] = [];
  const at = (...p: (string | number)[]) => suite.at(['cases', c.name, 'expect', ...p]);
  const fail = (where: string, what: string) => out.push({ where, what });
  if (e.path !== undefined) {
    const [mode, want] = Array.isArray(e.path) ? ['exact', e.path] as const : 'prefix' in e.path ? ['prefix', e.path.prefix] as const : ['in_order', e.path.in_order] as const;
    const problem = pathProblem(mode, want, path);
    if (problem) fail(at('path', ...(mode === 'exact' ? [] : [mode])), `path${mode === 'exact' ? '' : ` (${mode})`}: expected ${list(want)}, got ${list(path)}: ${problem}`);
  }
  if (e.disposition !== undefined && e.disposition !== (r.disposition ?? 'none')) {
    fail(at('disposition'), `disposition: expected ${e.disposition}, got ${r.disposition ?? 'none'}${r.endedBy === 'callee' ? ' (the callee hung up)' : ''}`);
  }
  if (e.booked !== undefined && e.booked !== (booked ?? 'none')) {
    const slot = (n: number | 'none' | null) => (n === null || n === 'none' ? 'none' : `slot ${n} (${suite.slots[n - 1]?.startsAt.toISOString() ?? '?'})`);
    fail(at('booked'), `booked: expected ${slot(e.booked)}, got ${slot(booked)}`);
  }
  if (e.ended_by !== undefined && e.ended_by !== r.endedBy) fail(at('ended_by'), `ended_by: expected ${e.ended_by}, got ${r.endedBy}`);
  if (e.barged_in !== undefined && list(e.barged_in) !== list(cuts)) fail(at('barged_in'), `barged_in: expected the prompts of ${list(e.barged_in)} cut, got ${list(cuts)}`);
  const visitText = (v: VisitState) => (typeof v === 'string' ? v : `moved to slot ${v.moved}`);
  if (e.visit !== undefined && visitText(e.visit) !== visitText(visit)) fail(at('visit'), `visit: expected ${visitText(e.visit)}, got ${visitText(visit)}`);
  if (e.callback !== undefined) {
    // to the minute: "через час" is an hour from when it was heard, seconds into the call
    const minute = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString();
    const want = e.callback === 'none' ? 'none' : minute(e.callback);
    const got = callbackAt ? minute(callbackAt) : 'none';
    if (want !== got) fail(at('callback'), `callback: expected ${want}, got ${got}`);
  }
  if (e.dnc !== undefined && e.dnc !== dnc) fail(at('dnc'), `dnc: expected ${e.dnc}, but the number was ${dnc ? '' : 'not '}put on the do-not-call list`);
  const robot = r.transcript.filter((l) => l.who === 'robot');
  if (e.said) {
    // each text found (in any case) in a robot line at or after where the one before it was found
    let lineAt = 0;
    let from = 0;
    for (const [i, text] of e.said.entries()) {
      let found = false;
      for (; lineAt < robot.length; lineAt++, from = 0) {
        const k = robot[lineAt]!.text.toLowerCase().indexOf(text.toLowerCase(), from);
        if (k >= 0) {
          from = k + text.length;
          found = true;
          break;
        }
      }
      if (!found) {
        const before = i === 0 ? '' : ` after "${short(e.said[i - 1]!, 30)}"`;
        fail(at('said', i), `said[${i}]: "${short(text, 40)}" was not said${before}; the robot said: ${robot.map((l) => `"${short(l.text, 60)}"`).join(' | ') || 'nothing'}`);
        break;
      }
    }
  }
  if (e.not_said) {
    const [texts, after] = Array.isArray(e.not_said) ? [e.not_said, null] : [e.not_said.texts, e.not_said.after];
    const from = after === null ? 0 : r.transcript.findIndex((l) => l.step === after);
    if (from < 0) {
      fail(at('not_said', 'after'), `not_said: the call never reached step "${after}"`);
    } else {
      const heard = r.transcript.slice(from).filter((l) => l.who === 'robot');
      for (const [i, text] of texts.entries()) {
        const hit = heard.find((l) => l.text.toLowerCase().includes(text.toLowerCase()));
        if (hit) fail(at('not_said', ...(after === null ? [i] : ['texts', i])), `not_said[${i}]: "${text}" was said${after === null ? '' : ` after step "${after}" began`}, at step "${hit.step}": "${short(hit.text)}"`);
      }
    }
  }
  return out;
}

function pathProblem(mode: 'exact' | 'prefix' | 'in_order', want: readonly string[], got: readonly string[]): string | null {
  if (mode === 'in_order') {
    let k = 0;
    for (const s of got) if (s === want[k]) k++;
    return k === want.length ? null : `"${want[k]}" not visited${k ? ` after "${want[k - 1]}"` : ''}`;
  }
  const n = mode === 'exact' ? Math.max(want.length, got.length) : want.length;
  for (let i = 0; i < n; i++) {
    if (want[i] !== got[i]) return `step ${i + 1} is ${got[i] === undefined ? 'missing' : `"${got[i]}"`}, expected ${want[i] === undefined ? 'the end' : `"${want[i]}"`}`;
  }
  return null;
}
