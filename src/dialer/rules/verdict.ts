import type { ContactPredicate, ZonePredicate } from '../../registry/index.js';

/** Why a contact is not called now. */
export type Because = 'done' | 'not-due' | 'outside-window' | 'do-not-call' | 'campaign-ended';

/** A rule's answer for one contact at one moment: call now, or not before `notBefore` (never: null) because of `because`. */
export type Verdict = { call: true } | { call: false; notBefore: Date | null; because: Because };

export const CALL_NOW: Verdict = { call: true };

/**
 * What the rules read of a contact: its own row, its patient's time zone and whether its number is
 * on the do-not-call list. The same facts the leasing SQL reads (src/registry/contacts.ts).
 */
export interface ContactFacts {
  state: 'pending' | 'done';
  nextAttemptAt: Date | null;
  timeZone: string;
  doNotCall: boolean;
}

/**
 * One rule, twice: `test` in TypeScript (the forecast, `campaign status`, tests) and `sql` as a
 * predicate the lease adds to its WHERE clause. A rule of the callee's zone and the moment only
 * (calling hours, holidays) is a `zone` rule: the lease decides it once per zone, not per contact.
 * tests/integration/dialer-rules.test.ts proves the two agree on a generated population.
 */
export type Rule = { readonly name: Because; test(c: ContactFacts, now: Date): Verdict } & (
  | { readonly scope: 'contact'; sql: ContactPredicate }
  | { readonly scope: 'zone'; sql: ZonePredicate }
);
