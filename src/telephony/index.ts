// The telephony surface: the CallControl port and the leg state diagram. Adapters (the
// drachtio-srf one, the simulated network in src/sim) are not exported: only src/app picks them.
export type { CallControl, CallLeg, LegEvents, OriginateRequest } from './call-control.js';
export { LegStateMachine, type LegState } from './leg-state.js';
