import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { RegistryError, ZvonarError, type Campaign } from '../core/index.js';
import type { DialogCall, DialogVersion } from '../dialog/index.js';
import {
  beat, closeOrphanedAttempts, expireCampaign, getCampaign, isTransientDbError, leaseDueContacts, othersOpenAttempts, registerDialer, registryUnreachable,
  persist, releaseExpiredHolds, releaseLeases, releaseTrunk, stopDialer, takeTrunk, trunkBacklogMs, trunkRoom, type TrunkLimits,
} from '../registry/index.js';
import { NotDialledError, UnclosedAttemptError, WavRecorder, type CallSummary, type MachineDetectionOptions } from '../call/index.js';
import { placeCall, type CallDeps } from './place-call.js';
import { leaseRules } from './rules/index.js';
import type { PersonCaps } from './rules/caps.js';
import { pronouncing, pronunciationFrom } from '../speech/index.js';

export interface RunOptions {
  campaign: Campaign;
  /** the script for the next call: a running campaign picks up an edited file (LiveScript) */
  dialog: () => DialogVersion;
  /**
   * The trunk: its CPS and channels are shared, through the registry, by every campaign and
   * dialer process that names it (src/registry/trunks.ts).
   */
  trunk: { name: string; cps: number; maxChannels: number; warmReserve?: number; ringTimeoutMs: number; from: string };
  clinic: DialogCall['clinic'];
  /** this dialer's id in the registry (table dialer): unique per process */
  dialerId: string;
  /**
   * Liveness (config `dialer`). Every heartbeatMs the dialer writes its heartbeat and renews its
   * contacts' leases until now + leaseMs; a dialer silent for leaseMs is dead, and whoever runs
   * next closes its open attempts.
   */
  leaseMs: number;
  heartbeatMs: number;
  /** how long a registry that is down is waited for before a call's write, or a one-off run, gives up */
  registryRetryMs: number;
  maxCallMs: number;
  pollMs: number;
  /** caps per person across campaigns (config dialer.caps); null or absent: none */
  caps?: PersonCaps | null;
  /** answering-machine detection thresholds; null: off (see CallPlan.amd) */
  amd?: MachineDetectionOptions | null;
  /**
   * stop once nothing is due now, no call of ours is active, and no dialer that went quiet has
   * attempts left open (the demo, tests, cron jobs); otherwise run until aborted
   */
  untilIdle?: boolean;
  onCallEnded?: (s: CallSummary) => void;
  /** a dialer that went quiet with calls open: `run --until-idle` waits to close them */
  onWaiting?: (w: { dialerId: string | null; open: number; closeAfterMs: number }) => void;
}

/** A dialer id: host, process and a random tail, so a restarted process is a new dialer. */
export function newDialerId(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The campaign loop: leases due contacts up to the free channels, paces call starts by the
 * trunk's CPS, and places each call. Resolves when aborted, when the campaign is no longer
 * active (paused by a supervisor, or by a SYSTEM_ERROR) or, with untilIdle, when nothing is
 * left to dial now; in every case after the active calls have ended. A registry or speech
 * engine that is down is logged and retried after pollMs (with untilIdle: for registryRetryMs,
 * then it rejects with a coded error once the active calls have ended); it never abandons calls
 * in progress, unless the registry stays away so long that other dialers would take this one
 * for dead: then it ends its calls first (the fence), so no patient is ever dialled twice.
 */
export async function runCampaign(deps: CallDeps, o: RunOptions, signal: AbortSignal): Promise<void> {
  const { clock, db, log } = deps;
  const active = new Set<Promise<unknown>>();
  const rules = leaseRules(o.campaign.rules);
  const limits: TrunkLimits = {
    trunk: o.trunk.name, cps: o.trunk.cps, channels: o.trunk.maxChannels, liveMs: o.leaseMs,
    // warm before cold: a cold campaign leaves the reserve to the warm ones
    leaveFree: o.campaign.kind === 'cold' ? Math.min(o.trunk.warmReserve ?? 0, o.trunk.maxChannels - 1) : 0,
  };
  // channels of the trunk this dialer holds: counted before they are taken and after they are
  // given back, so the heartbeat, which stores it, never says fewer than the registry has
  const trunkCalls = { trunk: o.trunk.name, calls: 0 };
  const giveBack = () => {
    releaseTrunk(db, { trunk: o.trunk.name, dialerId: o.dialerId })
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'trunk channel not given back; the next heartbeat counts it right'))
      .finally(() => trunkCalls.calls--);
  };
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  const nap = async (next: Promise<void>, ms: number) => {
    const id = clock.setTimeout(() => wake(), ms);
    await next;
    clock.clearTimeout(id);
  };
  signal.addEventListener('abort', () => wake(), { once: true });

  const now = () => new Date(clock.now());
  await persist(() => registerDialer(db, { id: o.dialerId, host: hostname(), pid: process.pid, now: now() }), {
    clock, log, what: 'the dialer\'s registration', budgetMs: o.registryRetryMs,
  });
  const life = heartbeat(deps, o, trunkCalls);
  // the campaign's pronunciation dictionary, before any engine: every call of it says its words so
  const words = o.campaign.rules.pronunciation;
  const callDeps: CallDeps = words ? { ...deps, tts: pronouncing(deps.tts, pronunciationFrom(words, `campaign ${o.campaign.id}`)) } : deps;
  // the campaign's answered calls as WAV files, when it asks for them; its old ones swept meanwhile
  const policy = o.campaign.rules.recording;
  const recorder = policy?.enabled ? new WavRecorder(policy, { maxCallMs: o.maxCallMs, clock, log }) : null;
  if (recorder) log.info({ campaignId: o.campaign.id, dir: recorder.dir, retentionDays: policy!.retentionDays }, 'answered calls are recorded');
  // calls that ended while the registry was away, their attempts still to be closed
  const unclosed = new Set<UnclosedAttemptError>();
  const closeUnclosed = async () => {
    for (const u of unclosed) {
      await u.close();
      unclosed.delete(u);
      log.warn({ callId: u.where.callId }, 'attempt closed once the registry came back');
    }
  };
  let failingSince: number | null = null;
  let swept = -Infinity;
  /** when the speech engines' being full was last logged */
  let speechFullSaid = -Infinity;
  let operatorsSaid = -Infinity;
  /** this campaign's finished calls here, how many handed off, and their total length: for operator-aware pacing */
  const handoffs = { calls: 0, handoffs: 0, callMs: 0 };
  const waitedFor = new Set<string | null>();
  let idleSince: number | null = null;

  try {
    while (!signal.aborted) {
      const next = woken();
      let leased: Awaited<ReturnType<typeof leaseDueContacts>> = [];
      try {
        const at = now();
        if (at.getTime() - swept >= o.heartbeatMs) {
          await closeUnclosed();
          const closed = await closeOrphanedAttempts(db, { now: at, leaseMs: o.leaseMs });
          if (closed) {
            deps.metrics.recovered.inc(closed);
            log.warn({ closed }, 'closed attempts left open by a dialer that stopped');
          }
          await releaseExpiredHolds(db, { now: at });
          swept = at.getTime();
        }
        if (life.fenced()) throw new RegistryError('REGISTRY_UNAVAILABLE', 'no heartbeat stored for too long', {}, { permanent: false });
        await deps.ready();
        const { status } = await getCampaign(db, o.campaign.id);
        const endsAt = o.campaign.rules.endsAt;
        if (status === 'active' && endsAt && at >= new Date(endsAt)) {
          const expired = await expireCampaign(db, { campaignId: o.campaign.id, now: at });
          log.warn({ campaignId: o.campaign.id, endsAt, expired }, 'campaign ended: its open contacts are EXPIRED; dialer stops');
          break;
        }
        if (status !== 'active') {
          log.info({ campaignId: o.campaign.id, status }, 'campaign not active; dialer stops');
          break;
        }
        const channels = Math.min(o.trunk.maxChannels - active.size, await trunkRoom(db, { ...limits, now: at }));
        const byOperators = deps.operatorPacing?.maxCalls({ language: o.dialog().script.language, ...handoffs, meanCallMs: handoffs.calls ? handoffs.callMs / handoffs.calls : 0 }) ?? Infinity;
        deps.metrics.operatorPacing.set({ campaign: o.campaign.id }, Number.isFinite(byOperators) ? byOperators : -1);
        const free = Math.min(channels, deps.speech?.room() ?? Infinity, byOperators - active.size);
        if (byOperators - active.size <= 0 && channels > 0 && clock.now() - operatorsSaid > 60_000) {
          operatorsSaid = clock.now();
          log.info({ active: active.size, byOperators }, 'calls held back so that handed-off callers do not wait for operators longer than the target');
        }
        if (free < channels && free <= 0 && byOperators - active.size > 0 && clock.now() - speechFullSaid > 60_000) {
          speechFullSaid = clock.now();
          // their workers' pace is flow control, as the trunk's CPS is; streams beyond what they declare are a sizing problem
          if (deps.speech?.limit?.() === 'backlog') log.info({ active: active.size }, 'calls start at the pace the speech engines\' workers keep up with');
          else log.warn({ active: active.size }, 'the speech engines are full: no more calls start until they have room');
        }
        if (free > 0) {
          // the lease covers the wait for the trunk's CPS before the last call starts (behind the
          // starts other processes have reserved); from its start, the heartbeat renews it
          const pacedMs = (await trunkBacklogMs(db, { trunk: o.trunk.name, now: at })) + Math.ceil((free / o.trunk.cps) * 1000 * 1.05);
          leased = await leaseDueContacts(db, {
            campaignId: o.campaign.id, now: at, limit: free, leaseMs: o.leaseMs + pacedMs, owner: o.dialerId, rules,
          });
        }
        failingSince = null;
        if (!leased.length && o.untilIdle && active.size === 0 && unclosed.size === 0) {
          // Idle, unless another dialer left calls open and went quiet: wait for its lease to
          // lapse, so that the sweep above closes them (and dials their contacts again) before we
          // go. A dialer killed a moment ago still looks alive: look twice, two beats apart.
          idleSince ??= at.getTime();
          const others = await othersOpenAttempts(db, { campaignId: o.campaign.id, self: o.dialerId });
          const quietAfter = at.getTime() - 2 * o.heartbeatMs;
          const quiet = others.filter((q) => q.stopped || !q.heartbeatAt || q.heartbeatAt.getTime() < quietAfter);
          const unsure = others.length > quiet.length && at.getTime() - idleSince < 3 * o.heartbeatMs;
          if (quiet.length === 0 && !unsure) break;
          for (const q of quiet) {
            if (waitedFor.has(q.dialerId)) continue;
            waitedFor.add(q.dialerId);
            const closeAfterMs = q.heartbeatAt ? Math.max(0, q.heartbeatAt.getTime() + o.leaseMs - at.getTime()) : o.leaseMs;
            log.warn({ dialerId: q.dialerId, open: q.open, closeAfterMs }, 'a dialer went quiet with calls open; waiting to close them');
            o.onWaiting?.({ dialerId: q.dialerId, open: q.open, closeAfterMs });
          }
          await nap(next, o.heartbeatMs);
          continue;
        }
        idleSince = null;
      } catch (err) {
        // Nothing is dialled while the registry or the speech engine is down. A long-running
        // dialer waits for it to come back; a one-off run (untilIdle) waits registryRetryMs.
        // Only a registry that went away is waited for: PostgreSQL restarting takes seconds.
        const transient = err instanceof ZvonarError ? err.code === 'REGISTRY_UNAVAILABLE' : isTransientDbError(err);
        failingSince ??= clock.now();
        if (o.untilIdle && (!transient || clock.now() - failingSince >= o.registryRetryMs)) {
          await Promise.all(active);
          throw asCoded(err);
        }
        log.error({ err: err instanceof ZvonarError ? err.code : (err as Error).message }, 'engine not ready; dialer retries');
        await nap(next, o.pollMs);
        continue;
      }
      for (const [i, contact] of leased.entries()) {
        // a channel of the trunk and a start time 1/cps after the last call's, across processes
        let slot: { startAt: Date } | null = null;
        trunkCalls.calls++;
        try {
          slot = await takeTrunk(db, { ...limits, dialerId: o.dialerId, now: now() });
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'trunk not reached; the contacts leased return to the pool');
        }
        if (!slot) {
          trunkCalls.calls--;
          // every channel taken by other dialers since the lease (or the registry went away)
          await releaseLeases(db, { owner: o.dialerId, contacts: leased.slice(i) }).catch(() => {});
          break;
        }
        try {
          await sleepUntil(clock, slot.startAt.getTime(), signal);
        } catch {
          giveBack();
          break; // aborted: the remaining leases lapse, unrenewed, and return to the pool
        }
        const dialog = o.dialog(); // per call: an edit reaches new calls, never one in progress
        const placedAt = clock.now();
        const call = placeCall(callDeps, {
          campaign: o.campaign, script: dialog.script, machine: dialog.machine, dialogHash: dialog.hash, contact, from: o.trunk.from,
          ringTimeoutMs: o.trunk.ringTimeoutMs, maxCallMs: o.maxCallMs, clinic: o.clinic,
          dialerId: o.dialerId, registryRetryMs: o.registryRetryMs, fence: life.fence(), caps: o.caps ?? null, ...(o.amd === undefined ? {} : { amd: o.amd }), recorder,
        })
          .then((s) => {
            handoffs.calls++;
            handoffs.callMs += clock.now() - placedAt;
            if (s.handedOff) handoffs.handoffs++;
            o.onCallEnded?.(s);
          })
          .catch((err: unknown) => {
            if (err instanceof NotDialledError) {
              log.warn({ err: err.code }, 'attempt not recorded, so not dialled; the contact returns to the pool');
              return;
            }
            if (err instanceof UnclosedAttemptError) {
              unclosed.add(err);
              log.error({ callId: err.where.callId }, 'attempt not closed: the registry is away; retried at each sweep');
              return;
            }
            log.error({ err: err instanceof ZvonarError ? err.code : (err as Error).message }, 'call failed before it was placed');
          })
          .finally(() => {
            active.delete(call);
            giveBack();
            wake();
          });
        active.add(call);
        deps.speech?.take(1);
      }
      if (leased.length) continue;
      if (active.size === 0) await nap(next, o.pollMs);
      else await next;
    }
    await Promise.all(active);
    if (unclosed.size) {
      await persist(closeUnclosed, { clock, log, what: 'attempts of calls that ended while the registry was away', budgetMs: o.registryRetryMs })
        .catch((err: unknown) => log.error({ open: unclosed.size, err: (err as Error).message }, 'attempts left open; the next dialer closes them'));
    }
  } finally {
    life.stop();
    await recorder?.close();
  }
  if (unclosed.size) {
    // Not marked stopped: its heartbeat ends now, and the next dialer closes these as INTERRUPTED.
    throw new RegistryError('REGISTRY_UNAVAILABLE', `${unclosed.size} attempt(s) could not be closed while the registry was away`, {}, {
      permanent: false,
      hint: 'the next `zvonar run` closes them once this dialer\'s lease lapses; their contacts are not dialled before',
    });
  }
  await persist(() => stopDialer(db, { id: o.dialerId, now: now() }), { clock, log, what: 'the dialer\'s stop', budgetMs: o.untilIdle ? o.registryRetryMs : o.pollMs })
    .catch((err: unknown) => {
      throw asCoded(err);
    });
}

/**
 * The heartbeat: every heartbeatMs, stores the dialer's heartbeat and renews its leases. When
 * it has failed for two thirds of the lease, the fence falls: the dialer's calls end and no new
 * call starts, before any other dialer may take it for dead (at a full lease). A new fence
 * stands once a heartbeat is stored again.
 */
/** Resolves at `at` on the clock, or rejects when `signal` aborts first. */
function sleepUntil(clock: CallDeps['clock'], at: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const ms = at - clock.now();
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const abort = () => {
      clock.clearTimeout(id);
      reject(signal.reason);
    };
    const id = clock.setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}

function heartbeat(deps: CallDeps, o: RunOptions, trunkCalls: { trunk: string; calls: number }) {
  const { clock, db, log } = deps;
  let lastStored = clock.now();
  // every call of this dialer listens on the fence: as many listeners as channels
  const newFence = () => {
    const c = new AbortController();
    setMaxListeners(0, c.signal);
    return c;
  };
  let fence = newFence();
  let timer: unknown;
  let stopped = false;
  let beating = false;
  // The fence is judged on every tick, whether or not the last beat has returned: a beat that
  // hangs (a network cut, a pool busy with call writes) must not hold the fence up.
  const tick = () => {
    if (!beating) {
      beating = true;
      beat(db, { id: o.dialerId, now: new Date(clock.now()), leaseMs: o.leaseMs, trunkCalls: { ...trunkCalls } })
        .then(() => {
          lastStored = clock.now();
          if (fence.signal.aborted) {
            fence = newFence();
            log.warn({}, 'registry back; dialer resumes');
          }
        })
        .catch((err: unknown) => log.debug({ err: (err as Error).message }, 'heartbeat not stored'))
        .finally(() => (beating = false));
    }
    if (!fence.signal.aborted && clock.now() - lastStored >= (o.leaseMs * 2) / 3) {
      log.error({}, 'no heartbeat stored for two thirds of the lease; ending this dialer\'s calls');
      fence.abort();
    }
    if (!stopped) timer = clock.setTimeout(tick, o.heartbeatMs);
  };
  timer = clock.setTimeout(tick, o.heartbeatMs);
  return {
    fence: () => fence.signal,
    fenced: () => fence.signal.aborted,
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}

function asCoded(err: unknown): ZvonarError {
  if (err instanceof ZvonarError) return err;
  if (!registryUnreachable(err)) return new ZvonarError('INTERNAL', (err as Error)?.message ?? String(err), {}, { cause: err });
  return new RegistryError('REGISTRY_UNAVAILABLE', `the registry cannot be reached: ${(err as Error)?.message ?? String(err)}`, {}, {
    permanent: false,
    cause: err,
    hint: 'check DATABASE_URL and that PostgreSQL is running; attempts left open are closed by the next dialer',
  });
}
