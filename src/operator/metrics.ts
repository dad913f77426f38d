import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OperatorHub, Presence } from './hub.js';

const PRESENCES: readonly Presence[] = ['available', 'busy', 'wrap-up', 'away'];

/**
 * The operators' metrics: handoffs by how they ended (abandoned ones are DOMAIN.md's third kind of
 * abandoned call), the callers' wait, operators by presence, the calls waiting and the wait Erlang C
 * predicts. Labels: queue names and presence only, nothing about a patient.
 */
export function createOperatorMetrics(registry: Registry, hub: OperatorHub): void {
  const handoffs = new Counter({
    name: 'zvonar_handoffs_total',
    help: 'Handoffs to operators by outcome: connected, unanswered (the wait ran out; a call-back was offered), unavailable (nobody could take it), abandoned (the callee hung up waiting)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'zvonar_handoff_wait_seconds',
    help: 'How long callers waited for an operator, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [1, 5, 10, 20, 30, 45, 60, 90, 120, 300],
    registers: [registry],
  });
  hub.on('settled', ({ queue, outcome, waitMs }) => {
    handoffs.inc({ queue, outcome });
    wait.observe({ outcome }, waitMs / 1000);
  });
  new Gauge({
    name: 'zvonar_operators',
    help: 'Operators signed in to this process\'s console, by presence',
    labelNames: ['presence'] as const,
    registers: [registry],
    collect() {
      const ops = hub.operators();
      for (const p of PRESENCES) this.set({ presence: p }, ops.filter((o) => o.presence === p).length);
    },
  });
  new Gauge({
    name: 'zvonar_handoffs_waiting',
    help: 'Calls waiting for an operator now',
    registers: [registry],
    collect() {
      this.set(hub.queue().filter((h) => h.state === 'waiting' || h.state === 'offered').length);
    },
  });
  new Gauge({
    name: 'zvonar_handoff_predicted_wait_seconds',
    help: 'The mean wait Erlang C predicts for a new handoff, by queue with calls waiting or handled in the last hour (operators on duty, handoffs of the last hour, talk time); +Inf when the operators cannot keep up',
    labelNames: ['queue'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const h of hub.queue()) this.set({ queue: h.queue }, hub.predictedWaitMs({ language: h.language, skill: h.skill, queue: h.queue }) / 1000);
    },
  });
}
