// One call's session, from lease to hang-up: a guarded state machine with a typed event stream,
// the call-end table that turns everything known about a call's end into its disposition, and
// the slot desk that binds the registry's slots to the call.
export {
  CALL_TRANSITIONS, CallSession, NotDialledError, UnclosedAttemptError,
  type CallEvents, type CallPlan, type CallState, type CallSummary, type SessionDeps,
} from './call-session.js';
export { callEnd, CALL_END, type CallEnd, type EarlyMedia } from './call-end.js';
export { recordTranscript } from './transcript.js';
export type { MachineDetectionOptions } from './machine-detection.js';
export { createSlotDesk } from './slot-desk.js';
export { WavRecorder, type CallRecorder } from './recorder.js';
