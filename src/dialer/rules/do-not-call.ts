import type { Rule } from './verdict.js';
import { CALL_NOW } from './verdict.js';

/**
 * The number is not on the do-not-call list (src/registry/do-not-call.ts keeps it; a callee who
 * asks during a call is added there). The one place the list is read: the lease reports the
 * flag (`doNotCall`) rather than skipping the contact, so the dialer closes it as DNC, unrung.
 */
export const doNotCall: Extract<Rule, { scope: 'contact' }> = {
  name: 'do-not-call',
  scope: 'contact',
  test: (c) => (c.doNotCall ? { call: false, notBefore: null, because: 'do-not-call' } : CALL_NOW),
  sql: ({ phone }) => `not exists (select 1 from do_not_call d where d.phone = ${phone})`,
};
