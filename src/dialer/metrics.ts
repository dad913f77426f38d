import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The dialer's metrics. Labels carry campaign ids and dispositions only: never a phone number,
 * a name or anything else about a patient.
 */
export function createDialerMetrics(registry: Registry) {
  return {
    callsActive: new Gauge({ name: 'zvonar_calls_active', help: 'Calls in progress (dialing, ringing or answered)', registers: [registry] }),
    attempts: new Counter({
      name: 'zvonar_attempts_total',
      help: 'Finished call attempts by disposition',
      labelNames: ['campaign', 'disposition'] as const,
      registers: [registry],
    }),
    recovered: new Counter({
      name: 'zvonar_attempts_recovered_total',
      help: 'Attempts left open by a dialer that died, closed by this one (as of the dead one\'s last heartbeat)',
      registers: [registry],
    }),
    bookings: new Counter({ name: 'zvonar_bookings_total', help: 'Slots booked by calls', labelNames: ['campaign'] as const, registers: [registry] }),
    firstAudio: new Histogram({
      name: 'zvonar_first_audio_seconds',
      help: 'From answer to the first audio sent (DOMAIN.md: keep under 1 s, or callees hang up on silence)',
      buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
      registers: [registry],
    }),
  };
}
export type DialerMetrics = ReturnType<typeof createDialerMetrics>;
