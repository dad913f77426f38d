import type { Clock, Logger, TranscriptLine } from '../core/index.js';
import { render, type DialogCall, type DialogRun, type Script } from '../dialog/index.js';
import { AnsweringMachineDetector, SCREENING_CUES, type AmdOptions, type AmdVerdict, type MediaSession } from '../media/index.js';
import type { Asr, Tts } from '../speech/index.js';
import { leaveMessage, MailboxEar, type VoicemailOutcome } from './voicemail.js';

/** Machine detection as a call plan carries it (config `amd`): the detector's thresholds, and the mailbox's. */
export interface MachineDetectionOptions extends AmdOptions {
  /** a mailbox quiet this long after its greeting with no beep heard gets the message anyway (2000) */
  beepWaitMs?: number;
}

/** How long a mailbox's verdict waits to hear whether the message was left before (read since the call began). */
const LEFT_BEFORE_WAIT_MS = 2_000;

/**
 * Machine detection in a call (detectMachine below), and what the call does on its verdict
 * (DOMAIN.md, after Asterisk: never hang up on not sure):
 *
 *   machine    the dialog stops; a script with a `voicemail` message leaves it (voicemail.ts:
 *              at the beep, or after silence) and the robot hangs up; without one, at once.
 *   screening  a script with a `screening` text stops what it is saying, says it and starts over
 *              (DialogRun.screen()); without one, the dialog goes on as if a person answered.
 *   human, notsure: the dialog goes on.
 *
 * The mailbox is listened to from the answer, beside the detector: its beep may come before the
 * verdict, which waits for an assistant's words (totalMs + 1.7 s). A beep heard then is the verdict
 * (machine, at once): the mailbox records from its beep, and the greeting the robot is saying names
 * the patient, so the robot stops there rather than into the recording.
 * `gone` aborts when the line is: the callee's side hung up, the line was lost, or the dialer was
 * fenced. `told` hears the verdict; `line` the message and notes, for the transcript.
 */
export function answerMachines(p: {
  media: MediaSession; asr: Asr; tts: Tts; clock: Clock; log: Logger; callId: string; opts: MachineDetectionOptions;
  script: Script; clinic: DialogCall['clinic']; dialog: DialogRun; dialogDone: Promise<unknown>; gone: AbortSignal;
  told: (v: { verdict: AmdVerdict; cue: string; atMs: number }) => void; line: (line: TranscriptLine) => void;
  /** the script's message was left to this patient on an earlier attempt (read as the call starts) */
  leftBefore: Promise<boolean>;
}): { verdict(): AmdVerdict | null; message(): Promise<VoicemailOutcome> | null; stop(): void } {
  const { log, script } = p;
  const { beepWaitMs = 2_000, ...thresholds } = p.opts;
  const ear = new MailboxEar(p.clock, (cue) => detection.machine(cue));
  const offEar = p.media.on('audio', (pcm) => ear.push(pcm));
  let verdict: AmdVerdict | null = null;
  let message: Promise<VoicemailOutcome> | null = null;
  const detection = detectMachine({
    media: p.media, asr: p.asr, clock: p.clock, language: script.language, callId: p.callId, opts: thresholds,
    told: (v) => {
      log.info({ amd: v.verdict, cue: v.cue, atMs: v.atMs }, 'machine detection');
      // the detector's own beep cue (amd.ts): a beep with no greeting before it, which the ear cannot tell
      if (v.verdict === 'machine' && v.cue.startsWith('beep')) ear.heardBeep(v.cue);
      p.told(v);
    },
  }, (v) => {
    verdict = v;
    if (v === 'screening' && p.dialog.screen()) log.info({}, 'screening assistant; the robot introduces itself and starts over');
    if (v !== 'machine') {
      offEar(); // a person or an assistant: no mailbox to listen for, for the rest of the call
      return;
    }
    p.dialog.stop();
    if (!script.voicemail) {
      offEar();
      return log.info({}, 'answering machine; robot hangs up');
    }
    const text = render(script.voicemail.message, { 'clinic.name': p.clinic.name, 'clinic.phone': p.clinic.phone ?? '' });
    const once = script.voicemail.leave !== 'every';
    // a registry that does not say within LEFT_BEFORE_WAIT_MS is taken as no: a message twice beats a mailbox kept waiting
    let wait: unknown;
    const leftBefore = once ? Promise.race([p.leftBefore, new Promise<boolean>((r) => (wait = p.clock.setTimeout(() => r(false), LEFT_BEFORE_WAIT_MS)))]) : Promise.resolve(false);
    message = leftBefore.finally(() => p.clock.clearTimeout(wait)).then((left) => {
      if (left) {
        log.info({}, 'answering machine; the message was left on an earlier attempt, so the robot hangs up');
        p.line({ atMs: 0, who: 'system', step: 'voicemail', text: '(the message was left on an earlier attempt; not again)' });
        return 'skipped' as const;
      }
      log.info({}, 'answering machine; robot leaves the message');
      return leaveMessage({
        ear, media: p.media, tts: p.tts, clock: p.clock, text, language: script.language, callId: p.callId, beepWaitMs,
        gone: p.gone, after: p.dialogDone, line: p.line,
      });
    }).then((outcome) => {
      log.info({ outcome }, 'voicemail message');
      return outcome;
    }).finally(offEar);
  });
  return {
    verdict: () => verdict,
    message: () => message,
    stop: () => {
      detection.stop();
      offEar();
    },
  };
}

/**
 * Runs machine detection on the callee's audio from the answer on, beside the greeting, and a
 * recognition stream for what a screening assistant says. The detector's time is audio time: a
 * phone that sends nothing while its user is silent is given silence frames to keep it in step
 * with the clock. Decides once: a person or an assistant as soon as heard; a machine or not sure
 * when the window for an assistant's words has passed (totalMs + 1.7 s): `told` hears the
 * verdict with its cue, `decided` acts on it. Returns `machine(cue)`, a verdict heard by other
 * means (a mailbox's beep after its greeting) that ends detection if it is still deciding, and
 * `stop` (the call ended first).
 */
export function detectMachine(
  p: {
    media: Pick<MediaSession, 'on'>; asr: Asr; clock: Clock; language: string; callId: string; opts: AmdOptions;
    told: (v: { verdict: AmdVerdict; cue: string; atMs: number }) => void;
  },
  decided: (v: AmdVerdict) => void,
): { machine(cue: string): void; stop(): void } {
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
  return {
    machine: (cue) => {
      if (done) return;
      done = true;
      stop();
      p.told({ verdict: 'machine', cue, atMs: clock.now() - t0 });
      decided('machine');
    },
    stop: () => {
      done = true;
      stop();
    },
  };
}
