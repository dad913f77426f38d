import type { OperatorQueue } from './ports.js';

/**
 * The queue when no operator can sign in to this process (no console: `zvonar run` without
 * `web.console`, the simulator, tests): every handoff is 'unavailable', so the script offers a
 * call-back or promises one (NEEDS_HUMAN, kept on the operators' call-back list).
 */
export const noOperators: OperatorQueue = {
  handoff: async () => ({ outcome: 'unavailable', waitMs: 0 }),
};
