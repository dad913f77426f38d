// Personas are data anyone may read; the network itself (sim-network.ts) is an adapter of
// the CallControl port, and only src/app imports it.
export { PERSONAS, isPersonaName, type Language, type Persona, type PersonaName } from './personas.js';
export type { SimCallRecord } from './sim-call-record.js';
