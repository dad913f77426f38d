import type { Rule } from './verdict.js';
import { CALL_NOW } from './verdict.js';

/**
 * The contact is still open and its next attempt is due: the retry ladder (retry.ts) set that
 * time when its last attempt ended, and a closed contact is never called again.
 */
export const due: Rule = {
  name: 'not-due',
  scope: 'contact',
  test: (c, now) => {
    if (c.state !== 'pending' || c.nextAttemptAt === null) return { call: false, notBefore: null, because: 'done' };
    return c.nextAttemptAt <= now ? CALL_NOW : { call: false, notBefore: c.nextAttemptAt, because: 'not-due' };
  },
  sql: ({ contact, now }) => `${contact}.state = 'pending' and ${contact}.next_attempt_at <= ${now}`,
};
