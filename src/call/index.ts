// One call's session (issue 8): for now, the call-end table that turns everything known about
// a call's end into its disposition.
export { callEnd, CALL_END, type CallEnd } from './call-end.js';
