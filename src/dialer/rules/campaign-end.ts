import type { Rule } from './verdict.js';
import { CALL_NOW } from './verdict.js';

/** The campaign has not ended (its end date, rules.endsAt): from then on nobody is called, ever. */
export function campaignEnd(endsAt: string): Rule {
  const end = new Date(endsAt);
  return {
    name: 'campaign-ended',
    scope: 'contact',
    test: (_c, now) => (now < end ? CALL_NOW : { call: false, notBefore: null, because: 'campaign-ended' }),
    sql: ({ now, param }) => `${now} < ${param(end)}::timestamptz`,
  };
}
