import type { TranscriptLine } from '../core/index.js';
import type { CallSession } from './call-session.js';

/**
 * The call's transcript, written from its event stream: what the robot said and heard, what the
 * dialog noted, keys pressed, early media and handoffs. Times are ms since the answer (0 for what
 * came before it). The array grows as the call goes on; the attempt stores it at the end. Each line
 * is also told as the session's `line` event (the operator console's live transcript).
 */
export function recordTranscript(session: CallSession): TranscriptLine[] {
  const kept: TranscriptLine[] = [];
  const lines = {
    push(line: TranscriptLine) {
      kept.push(line);
      session.emit('line', line);
    },
  };
  let answeredAtMs: number | null = null;
  const since = (atMs: number) => (answeredAtMs === null ? 0 : Math.max(0, atMs - answeredAtMs));
  session.on('state', ({ to, atMs }) => {
    if (to === 'answered') answeredAtMs = atMs;
  });
  session.on('early-media', ({ kind, cue, atMs }) => lines.push({ atMs: since(atMs), who: 'system', text: `early media: ${kind} (${cue})` }));
  session.on('said', ({ step, text, atMs }) => lines.push({ atMs: since(atMs), who: 'robot', text, step }));
  session.on('heard', ({ step, text, intent, atMs }) => lines.push({ atMs: since(atMs), who: 'callee', text, step, ...(intent ? { intent } : {}) }));
  session.on('note', ({ step, text, atMs }) => lines.push({ atMs: since(atMs), who: 'system', text, step }));
  session.on('dtmf', ({ digit, by, atMs }) => lines.push({ atMs: since(atMs), who: by, text: `DTMF ${digit}`, ...(by === 'callee' ? { intent: 'dtmf' } : {}) }));
  session.on('handoff', ({ queue, outcome, operator, waitMs, atMs }) => lines.push({
    atMs: since(atMs), who: 'system', text: `handed to operators (${queue}): ${outcome}${operator ? ` (${operator})` : ''} after ${(waitMs / 1000).toFixed(1)} s`,
  }));
  session.on('amd', ({ verdict, atMs }) => lines.push({ atMs: since(atMs), who: 'system', text: `answering-machine detection: ${verdict}` }));
  return kept;
}
