import { ZvonarError, type Campaign } from '../core/index.js';
import type { compileScript, DialogCall, Script } from '../dialog/index.js';
import { closeInterruptedAttempts, getCampaign, leaseDueContacts, releaseExpiredHolds } from '../registry/index.js';
import { placeCall, type CallDeps, type CallSummary } from './place-call.js';
import { TokenBucket } from './token-bucket.js';

export interface RunOptions {
  campaign: Campaign;
  script: Script;
  machine: ReturnType<typeof compileScript>;
  trunk: { cps: number; maxChannels: number; ringTimeoutMs: number; from: string };
  clinic: DialogCall['clinic'];
  /** this dialer's name in contact leases */
  owner: string;
  /** longer than the longest call (ring timeout + maxCallMs): a lease is never renewed */
  leaseMs: number;
  maxCallMs: number;
  pollMs: number;
  /** stop once nothing is due now and no call is active (the demo, tests); otherwise run until aborted */
  untilIdle?: boolean;
  onCallEnded?: (s: CallSummary) => void;
}

/** How often the sweeps (expired holds, attempts of dead dialers) run. */
const SWEEP_MS = 30_000;

/**
 * The campaign loop: leases due contacts up to the free channels, paces call starts by the
 * trunk's CPS, and places each call. Resolves when aborted, when the campaign is no longer
 * active (paused by a supervisor, or by a SYSTEM_ERROR) or, with untilIdle, when nothing is
 * left to dial now; in every case after the active calls have ended. A registry or speech
 * engine that is down is logged and retried after pollMs (with untilIdle: rejects with its
 * error once the active calls have ended); it never abandons calls in progress.
 */
export async function runCampaign(deps: CallDeps, o: RunOptions, signal: AbortSignal): Promise<void> {
  const { clock, db, log } = deps;
  const bucket = new TokenBucket({ ratePerSec: o.trunk.cps, clock });
  const active = new Set<Promise<unknown>>();
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  const nap = async (next: Promise<void>, ms: number) => {
    const id = clock.setTimeout(() => wake(), ms);
    await next;
    clock.clearTimeout(id);
  };
  signal.addEventListener('abort', () => wake(), { once: true });
  let swept = -Infinity;

  while (!signal.aborted) {
    const next = woken();
    let leased: Awaited<ReturnType<typeof leaseDueContacts>> = [];
    try {
      const now = new Date(clock.now());
      if (now.getTime() - swept >= SWEEP_MS) {
        await closeInterruptedAttempts(db, { now });
        await releaseExpiredHolds(db, { now });
        swept = now.getTime();
      }
      await deps.ready();
      const { status } = await getCampaign(db, o.campaign.id);
      if (status !== 'active') {
        log.info({ campaignId: o.campaign.id, status }, 'campaign not active; dialer stops');
        break;
      }
      const free = o.trunk.maxChannels - active.size;
      if (free > 0) {
        leased = await leaseDueContacts(db, {
          campaignId: o.campaign.id, now, limit: free, leaseMs: o.leaseMs, owner: o.owner, hours: o.campaign.rules.callingHours,
        });
      }
    } catch (err) {
      // Nothing is dialled while the registry or the speech engine is down. A one-off run
      // (untilIdle) reports it; a long-running dialer waits for it to come back.
      if (o.untilIdle) {
        await Promise.all(active);
        throw err;
      }
      log.error({ err: err instanceof ZvonarError ? err.code : (err as Error).message }, 'engine not ready; dialer retries');
      await nap(next, o.pollMs);
      continue;
    }
    for (const contact of leased) {
      try {
        await bucket.take(signal);
      } catch {
        break; // aborted: the remaining leases expire and return to the pool
      }
      const call = placeCall(deps, {
        campaign: o.campaign, script: o.script, machine: o.machine, contact, from: o.trunk.from,
        ringTimeoutMs: o.trunk.ringTimeoutMs, maxCallMs: o.maxCallMs, clinic: o.clinic,
      })
        .then((s) => o.onCallEnded?.(s))
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'could not record an attempt'))
        .finally(() => {
          active.delete(call);
          wake();
        });
      active.add(call);
    }
    if (leased.length) continue;
    if (o.untilIdle && active.size === 0) break;
    if (active.size === 0) await nap(next, o.pollMs);
    else await next;
  }
  await Promise.all(active);
}
