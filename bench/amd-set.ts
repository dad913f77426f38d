/**
 * The labelled AMD set: tests/fixtures/amd/set.json names mixes of the base clips there (lead
 * silence, gain, seeded white noise, tail), each passed through a mu-law round trip as a line
 * would. Built the same every time. Lives in bench/ rather than tests/support/ because the build
 * (tsconfig.build.json) leaves tests/ out and `npm run bench` runs it; the test imports it from here.
 * Its WAV reader (bench/wav.ts) lives in bench/ too, the seeded generator in src/core (the
 * forecast uses it); tests/support re-exports both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnsweringMachineDetector, decodeUlaw, encodeUlaw, type AmdOptions, type AmdVerdict } from '../src/media/index.js';
import { EchoGate } from '../src/media/echo-gate.js';
import { seededRandom } from '../src/core/index.js';
import { readWav } from './wav.js';

export const AMD_FIXTURES = 'tests/fixtures/amd';
const RATE_HZ = 8000;
const FRAME = 160;

export interface AmdMixSpec {
  id: string;
  label: AmdVerdict;
  /** a WAV in tests/fixtures/amd, or null for silence or noise alone */
  clip: string | null;
  leadMs: number;
  gainDb: number;
  /** RMS of the white noise added, dBFS; null for none */
  noiseDbfs: number | null;
  tailMs: number;
  /** what a recogniser would hear, given when the clip ends */
  text?: string | null;
}

export interface AmdMix {
  spec: AmdMixSpec;
  /** the line's audio, 8 kHz, a whole number of 20 ms frames */
  pcm: Int16Array;
  /** when the clip's speech ends, ms: the moment its text is heard */
  speechEndMs: number;
}

export interface AmdRun {
  spec: AmdMixSpec;
  verdict: AmdVerdict;
  cue: string;
  atMs: number;
}

export function loadAmdSet(root = AMD_FIXTURES): AmdMixSpec[] {
  return JSON.parse(readFileSync(join(root, 'set.json'), 'utf8')) as AmdMixSpec[];
}

export function buildAmdMix(spec: AmdMixSpec, root = AMD_FIXTURES): AmdMix {
  const clip = spec.clip ? readWav16(join(root, spec.clip)) : new Int16Array(0);
  const lead = (spec.leadMs * RATE_HZ) / 1000;
  const total = Math.ceil((lead + clip.length + (spec.tailMs * RATE_HZ) / 1000) / FRAME) * FRAME;
  const gain = 10 ** (spec.gainDb / 20);
  const random = seededRandom(hash(spec.id));
  // uniform white noise in [-a, a] has an RMS of a / sqrt(3)
  const noise = spec.noiseDbfs === null ? 0 : 32768 * 10 ** (spec.noiseDbfs / 20) * Math.sqrt(3);
  const mixed = new Int16Array(total);
  for (let i = 0; i < total; i++) {
    const k = i - lead;
    const v = (k >= 0 && k < clip.length ? clip[k]! * gain : 0) + (noise ? (2 * random() - 1) * noise : 0);
    mixed[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  const pcm = decodeUlaw(encodeUlaw(mixed));
  return { spec, pcm, speechEndMs: spec.leadMs + (clip.length * 1000) / RATE_HZ };
}

/**
 * A line that echoes: the robot greets from the answer on (`robot`, 8 kHz), and the line sends
 * it back `delayMs` later, `lossDb` quieter, mixed into what the callee's side sends; with `gate`
 * the frames pass the RTP session's echo gate (src/media/echo-gate.ts) first, as in a call.
 */
export interface LineEcho {
  robot: Int16Array;
  delayMs: number;
  lossDb: number;
  gate: boolean;
}

/** Feeds a mix frame by frame, its text when the clip ends, until decided or the audio runs out. */
export function runAmdMix(mix: AmdMix, opts?: AmdOptions, echo?: LineEcho): AmdRun {
  const amd = new AnsweringMachineDetector(opts);
  let textGiven = !mix.spec.text;
  const gate = echo?.gate ? new EchoGate() : null;
  const gain = echo ? 10 ** (-echo.lossDb / 20) : 0;
  const lag = echo ? (echo.delayMs * RATE_HZ) / 1000 : 0;
  const frame = new Int16Array(FRAME);
  for (let at = 0; at + FRAME <= mix.pcm.length; at += FRAME) {
    frame.set(mix.pcm.subarray(at, at + FRAME));
    if (echo) {
      for (let i = 0; i < FRAME; i++) frame[i] = Math.max(-32768, Math.min(32767, frame[i]! + Math.round(gain * (echo.robot[at + i - lag] ?? 0))));
      const sentAtMs = (at * 1000) / RATE_HZ;
      gate?.sent(echo.robot.subarray(at, at + FRAME).length === FRAME ? echo.robot.subarray(at, at + FRAME) : new Int16Array(FRAME), sentAtMs);
      gate?.heard(frame, sentAtMs + 20);
    }
    amd.push(frame);
    const nowMs = ((at + FRAME) * 1000) / RATE_HZ;
    if (!textGiven && nowMs >= mix.speechEndMs) {
      amd.heard(mix.spec.text!);
      textGiven = true;
    }
    // decided, and no text to come that could still change it
    if (amd.decided && textGiven) break;
  }
  const v = amd.verdict();
  return { spec: mix.spec, verdict: v?.verdict ?? 'notsure', cue: v?.cue ?? 'audio ran out', atMs: v?.atMs ?? Number.NaN };
}

export function runAmdSet(root = AMD_FIXTURES): AmdRun[] {
  return loadAmdSet(root).map((spec) => runAmdMix(buildAmdMix(spec, root)));
}

const VERDICTS: readonly AmdVerdict[] = ['human', 'machine', 'screening', 'notsure'];

/** One line per true label: 'human 20, machine 0, screening 0, notsure 1'. */
export function confusion(runs: readonly AmdRun[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const truth of VERDICTS) {
    const mine = runs.filter((r) => r.spec.label === truth);
    if (mine.length) out[`${truth} ->`] = VERDICTS.map((v) => `${v} ${mine.filter((r) => r.verdict === v).length}`).join(', ');
  }
  return out;
}

/** The fixtures are 8 kHz mono 16-bit PCM: anything else is a fixture made wrongly. */
function readWav16(path: string): Int16Array {
  const wav = readWav(path);
  if (wav.channels !== 1 || wav.sampleRate !== RATE_HZ) throw new Error(`${path}: want 8 kHz mono 16-bit`);
  return wav.samples;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
