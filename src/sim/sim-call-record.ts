import type { PersonaName } from './personas.js';

/** What a simulated callee heard and said, for tests and the script tester. */
export interface SimCallRecord {
  callId: string;
  to: string;
  persona: PersonaName | undefined;
  heard: string[];
  said: string[];
  outcome: 'rejected' | 'cancelled' | 'answered';
  endedBy: 'robot' | 'callee' | null;
}
