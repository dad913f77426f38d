// One call's session (issue 8; the session itself is still src/dialer/place-call.ts): the
// call-end table that turns everything known about a call's end into its disposition, and the
// slot desk that binds the registry's slots to one call.
export { callEnd, CALL_END, type CallEnd } from './call-end.js';
export { createSlotDesk } from './slot-desk.js';
