import type { Campaign } from '../core/index.js';
import type { compileScript, DialogCall, Script } from '../dialog/index.js';
import { closeInterruptedAttempts, leaseDueContacts, releaseExpiredHolds } from '../registry/index.js';
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
  leaseMs: number;
  pollMs: number;
  /** stop once nothing is due now and no call is active (the demo, tests); otherwise run until aborted */
  untilIdle?: boolean;
  onCallEnded?: (s: CallSummary) => void;
}

/**
 * The campaign loop: leases due contacts up to the free channels, paces call starts by the
 * trunk's CPS, and places each call. Resolves when aborted (after active calls end) or, with
 * untilIdle, when nothing is left to dial now.
 */
export async function runCampaign(deps: CallDeps, o: RunOptions, signal: AbortSignal): Promise<void> {
  const { clock, db } = deps;
  const bucket = new TokenBucket({ ratePerSec: o.trunk.cps, clock });
  const active = new Set<Promise<unknown>>();
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  signal.addEventListener('abort', () => wake(), { once: true });

  while (!signal.aborted) {
    const next = woken();
    await closeInterruptedAttempts(db, { now: new Date(clock.now()) });
    await releaseExpiredHolds(db, { now: new Date(clock.now()) });
    const free = o.trunk.maxChannels - active.size;
    const leased = free > 0
      ? await leaseDueContacts(db, { campaignId: o.campaign.id, now: new Date(clock.now()), limit: free, leaseMs: o.leaseMs, owner: o.owner })
      : [];
    for (const contact of leased) {
      try {
        await bucket.take(signal);
      } catch {
        break; // aborted: the remaining leases expire and return to the pool
      }
      const call = placeCall(deps, { campaign: o.campaign, script: o.script, machine: o.machine, contact, from: o.trunk.from, ringTimeoutMs: o.trunk.ringTimeoutMs, clinic: o.clinic })
        .then((s) => o.onCallEnded?.(s))
        .catch((err: unknown) => deps.log.error({ err: (err as Error).message }, 'could not record an attempt'))
        .finally(() => {
          active.delete(call);
          wake();
        });
      active.add(call);
    }
    if (leased.length) continue;
    if (o.untilIdle && active.size === 0) break;
    if (active.size === 0) {
      const id = clock.setTimeout(() => wake(), o.pollMs);
      await next;
      clock.clearTimeout(id);
    } else {
      await next;
    }
  }
  await Promise.all(active);
}
