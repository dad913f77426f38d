import { describe, expect, it } from 'vitest';
import { CALL_END, callEnd, type CallEnd } from '../../src/call/index.js';
import { Q850_DISPOSITION, SIP_DISPOSITION } from '../../src/core/index.js';

/** A call that was answered and whose script ended on its own, unless a case says otherwise. */
const answered: CallEnd = {
  sipStatus: null, q850: null, amd: null, voicemailLeft: false, earlyMedia: null, answered: true, fault: null,
  dialog: { disposition: 'DECLINED', booked: false, endedBy: 'robot', stopped: false, error: null },
};
const unanswered = (sipStatus: number, q850: number | null = null): CallEnd => ({ ...answered, answered: false, dialog: null, sipStatus, q850 });
const dialog = (d: Partial<NonNullable<CallEnd['dialog']>>): CallEnd => ({ ...answered, dialog: { ...answered.dialog!, ...d } });

/** One case per row of the table, in its order: each must be decided by its own row. */
const CASES: [string, CallEnd, string][] = [
  ['the dialer lost the registry and nothing was booked', { ...answered, fault: { kind: 'registry-lost', code: 'REGISTRY_UNAVAILABLE' } }, 'INTERRUPTED'],
  ['a slot was booked', { ...dialog({ booked: true, disposition: 'BOOKED' }), fault: { kind: 'registry-lost', code: 'REGISTRY_UNAVAILABLE' } }, 'BOOKED'],
  ['the registry refused a second booking of the patient', dialog({ endedBy: 'error', disposition: null, error: 'BOOKING_EXISTS' }), 'BOOKED'],
  ['the answer\'s SDP makes no sense', { ...answered, dialog: null, fault: { kind: 'sdp', code: 'SDP_INVALID' } }, 'NETWORK_FAILURE'],
  ['not answered, a voicemail greeting played before the answer', { ...unanswered(487), earlyMedia: 'voicemail' }, 'VOICEMAIL'],
  ['not answered, with a Q.850 cause the table names', unanswered(480, 17), 'BUSY'],
  ['not answered after an operator\'s announcement, and the status says only "no answer"', { ...unanswered(487), earlyMedia: 'announcement' }, 'UNREACHABLE'],
  ['not answered, with a SIP final status', unanswered(486), 'BUSY'],
  ['an answering machine answered and the script\'s message was said to its end', { ...dialog({ disposition: null, stopped: true }), amd: 'machine', voicemailLeft: true }, 'VOICEMAIL_LEFT'],
  ['an answering machine answered', { ...dialog({ disposition: null }), amd: 'machine' }, 'VOICEMAIL'],
  ['the script ended with a disposition', { ...answered, fault: { kind: 'network', code: 'CALL_LOST' } }, 'DECLINED'],
  ['the network lost the answered call before the script ended', { ...dialog({ disposition: null, endedBy: 'callee' }), fault: { kind: 'network', code: 'CALL_LOST' } }, 'NETWORK_FAILURE'],
  ['the call ran past its longest length', dialog({ disposition: null, stopped: true }), 'NEEDS_HUMAN'],
  ['the callee hung up waiting for an operator', { ...dialog({ disposition: null, endedBy: 'callee' }), handoffAbandoned: true }, 'TRANSFER_ABANDONED'],
  ['the callee hung up before the script ended', dialog({ disposition: null, endedBy: 'callee' }), 'EARLY_HANGUP'],
  ['the engine failed after the callee answered', dialog({ disposition: null, endedBy: 'error', error: 'SPEECH_UNAVAILABLE' }), 'ROBOT_SILENCE'],
  ['the engine failed before anyone answered', { ...answered, answered: false, dialog: null, fault: { kind: 'engine', code: 'MEDIA_UNAVAILABLE' } }, 'INTERRUPTED'],
];

describe('callEnd()', () => {
  it('has a case here for every row of CALL_END, in order', () => {
    expect(CASES.map(([when]) => when)).toEqual(CALL_END.map((r) => r.when));
  });
  for (const [when, e, disposition] of CASES) {
    it(`gives ${disposition} when ${when}, decided by that row`, () => {
      expect(callEnd(e)).toEqual({ disposition, because: when });
    });
  }
  it('gives VOICEMAIL, not VOICEMAIL_LEFT, for a message cut short or a machine with no message, and never VOICEMAIL_LEFT without a machine', () => {
    const machine = { ...dialog({ disposition: null, stopped: true }), amd: 'machine' } as const;
    expect(callEnd({ ...machine, voicemailLeft: false }).disposition).toBe('VOICEMAIL');
    expect(callEnd({ ...machine, voicemailLeft: true, dialog: { ...machine.dialog!, booked: true } }).disposition).toBe('BOOKED');
    for (const amd of ['human', 'screening', 'notsure', null] as const) {
      expect(callEnd({ ...answered, amd, voicemailLeft: true }).disposition).toBe('DECLINED');
    }
  });
  it('turns every SIP final status of DOMAIN.md\'s table into its disposition when the call is not answered', () => {
    for (const [status, d] of SIP_DISPOSITION) expect(callEnd(unanswered(status)).disposition).toBe(d);
  });
  it('takes an announcement for the number\'s status only where the SIP status says no more than "no answer"', () => {
    const after = (status: number) => callEnd({ ...unanswered(status), earlyMedia: 'announcement' }).disposition;
    expect([after(487), after(408), after(480), after(404), after(486), after(503)]).toEqual(['UNREACHABLE', 'UNREACHABLE', 'UNREACHABLE', 'INVALID_NUMBER', 'BUSY', 'NETWORK_FAILURE']);
    // ringback before a CANCEL is a plain no answer
    expect(callEnd({ ...unanswered(487), earlyMedia: 'ringback' }).disposition).toBe('NO_ANSWER');
  });
  it('lets a Q.850 cause it knows decide over the SIP status, and leaves the rest to the status', () => {
    for (const [cause, d] of Q850_DISPOSITION) expect(callEnd(unanswered(503, cause)).disposition).toBe(d);
    expect(callEnd(unanswered(486, 16))).toEqual({ disposition: 'BUSY', because: 'not answered, with a SIP final status' }); // 16 normal clearing
  });
});
