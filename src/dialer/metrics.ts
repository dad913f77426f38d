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
    rtpPackets: new Counter({
      name: 'zvonar_rtp_packets_total',
      help: 'RTP packets of answered calls, by what became of them: sent, received, lost (concealed), late, dropped (duplicates and late), reordered, ignored (not RTP or not negotiated), foreign (not the callee\'s)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    jitter: new Histogram({
      name: 'zvonar_rtp_jitter_seconds',
      help: 'Interarrival jitter of the callee\'s RTP at the end of each answered call (RFC 3550)',
      buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2],
      registers: [registry],
    }),
    dialogReloads: new Counter({
      name: 'zvonar_dialog_reloads_total',
      help: 'Dialog script files edited while their campaign ran: loaded (new calls use them) or refused (they fail their check; the running version stays)',
      labelNames: ['campaign', 'result'] as const,
      registers: [registry],
    }),
    operatorPacing: new Gauge({
      name: 'zvonar_dialer_operator_pacing_calls',
      help: 'The most calls a campaign may have in progress so that its handoffs keep callers\' mean wait for an operator under operators.targetWaitMs (Erlang C); -1: no limit',
      labelNames: ['campaign'] as const,
      registers: [registry],
    }),
    firstAudio: new Histogram({
      name: 'zvonar_first_audio_seconds',
      help: 'From answer to the first audio sent (DOMAIN.md: keep under 1 s, or callees hang up on silence)',
      buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
      registers: [registry],
    }),
  };
}
export type DialerMetrics = ReturnType<typeof createDialerMetrics>;
