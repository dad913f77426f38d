export { noOperators } from './operator-desk.js';
export { OperatorHub, type Presence, type OperatorView, type HandoffView, type HubEvents, type OperatorHubOptions } from './hub.js';
export type { HandoffCall, HandoffContext, HandoffResult, OperatorQueue } from './ports.js';
export { erlangC, meanWaitMs, serviceLevel, operatorsNeeded, handoffCapacityPerHour } from './erlang-c.js';
export { maxCallsForOperators, PACING_MIN_CALLS } from './pacing.js';
export { createOperatorMetrics } from './metrics.js';
