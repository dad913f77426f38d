import type { OperatorDesk } from '../dialog/index.js';

/**
 * Handoffs while no operator can sign in: the web console and operator presence come with the
 * operator issue. Until then every handoff is 'unavailable', so the script promises a callback
 * and the attempt ends NEEDS_HUMAN, which the registry keeps for a person to act on.
 */
export const noOperators: OperatorDesk = {
  handoff: async () => 'unavailable',
};
