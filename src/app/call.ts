import { CallSession, type CallEvents } from '../call/index.js';
import { ConfigError, maskPhone, toE164, ZvonarError, type Campaign, type Disposition, type TranscriptLine } from '../core/index.js';
import type { Config } from '../config/index.js';
import { defaultRules, leaseRules, newDialerId, nextStep } from '../dialer/index.js';
import { compileScript, loadScript } from '../dialog/index.js';
import { beat, closeOrphanedAttempts, createCampaign, getCampaign, leaseContactByPhone, persist, registerDialer, stopDialer, type Db } from '../registry/index.js';
import type { AmdVerdict } from '../media/index.js';
import { buildEngine } from './build-engine.js';
import { amdOptions } from './run.js';

/** The campaign test calls are recorded in: paused, so `zvonar run` never dials it. */
export const TEST_CAMPAIGN_ID = 'test-calls';

export interface CallOptions {
  /** the number to call, as a person writes it (+7 900 123-45-67, 8 900 ...) */
  number: string;
  /** the dialog script to run */
  dialogFile: string;
  /** the SIP trunk (telephony kind drachtio), by name; default the first */
  trunk?: string;
  /** book for real; otherwise the script's booking step books nothing (a rehearsal) */
  book?: boolean;
  /** keys to press once answered, before the script speaks: an extension (0-9 * # A-D; ',' waits 0.5 s) */
  dtmf?: string;
  /** the name the script greets, for a number the registry does not know: "Фамилия Имя Отчество" */
  patient?: string;
  /** each event of the call as it happens (not with --json) */
  onEvent?: (line: string) => void;
}

/** What `zvonar call --json` prints: one object. */
export interface CallReport {
  callId: string;
  disposition: Disposition;
  /** the row of the call-end table that decided it */
  because: string;
  /** 200 once answered; the final status otherwise (487 after our CANCEL) */
  sipStatus: number | null;
  q850: number | null;
  /** machine detection: null until it exists (issue 9) */
  amd: AmdVerdict | null;
  /** what early media sounded like, when there was some */
  earlyMedia: string | null;
  /** from answer to hang-up; 0 when not answered */
  durationMs: number;
  transcript: TranscriptLine[];
  /** the slot the script booked (in a rehearsal: would have booked) */
  slot: { id: string; startsAt: string; resource: string } | null;
  rehearsal: boolean;
  /** the attempt's campaign in the registry */
  campaignId: string;
}

/**
 * `zvonar call NUMBER --dialog FILE`: places one call now, through the configured telephony, with
 * that script, and records it like any other as an attempt of the paused campaign "test-calls".
 * The calling hours do not apply (a person is trying it), the do-not-call list does.
 */
export async function placeTestCall(cfg: Config, o: CallOptions): Promise<CallReport> {
  const phone = toE164(o.number);
  const script = loadScript(o.dialogFile);
  const machine = compileScript(script);
  const newPatient = patientName(o.patient, cfg.clinic.timeZone);
  if (o.dtmf !== undefined && !/^[0-9*#A-Da-d,]{1,32}$/.test(o.dtmf)) {
    throw new ConfigError('CONFIG_INVALID', `--dtmf "${o.dtmf}": keys are 0-9 * # A-D, and ',' for half a second's wait; at most 32`, { path: '--dtmf' });
  }
  const engine = await buildEngine(cfg, o.trunk === undefined ? {} : { trunk: o.trunk });
  const { db, log } = engine;
  const clock = engine.deps.clock;
  const dialerId = newDialerId();
  let beating: ReturnType<typeof setInterval> | undefined;
  try {
    await engine.deps.ready();
    const campaign = await persist(() => testCampaign(db, script.id, script.version), { clock, log, what: 'the test campaign', budgetMs: cfg.dialer.registryRetryMs });
    const now = new Date(clock.now());
    await registerDialer(db, { id: dialerId, host: 'zvonar call', pid: process.pid, now });
    // the heartbeat keeps the call's attempt live: another dialer's sweep would close it otherwise
    beating = setInterval(() => {
      beat(db, { id: dialerId, now: new Date(clock.now()), leaseMs: cfg.dialer.leaseMs }).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'heartbeat not stored'));
    }, cfg.dialer.heartbeatMs);
    // a call of a dialer that died (a `zvonar call` killed mid-call) is closed once it is taken for dead
    await closeOrphanedAttempts(db, { now, leaseMs: cfg.dialer.leaseMs });
    const contact = await leaseContactByPhone(db, { campaignId: campaign.id, phone, owner: dialerId, now, leaseMs: cfg.dialer.leaseMs, newPatient, doNotCall: leaseRules(campaign.rules).doNotCall });
    if (!contact) {
      throw new ZvonarError('CONTACT_ON_CALL', `${maskPhone(phone)} is on a call right now`, { phone: maskPhone(phone) }, {
        hint: `wait for that call to end; a call whose dialer died is closed ${Math.round(cfg.dialer.leaseMs / 1000)} s after its last heartbeat`,
      });
    }
    const session = new CallSession(engine.deps, {
      campaign, script, machine, contact, from: cfg.trunk.from, ringTimeoutMs: cfg.trunk.ringTimeoutMs, maxCallMs: cfg.dialer.maxCallMs,
      clinic: { name: cfg.clinic.name, phone: cfg.clinic.phone ?? '', timeZone: cfg.clinic.timeZone },
      dialerId, registryRetryMs: cfg.dialer.registryRetryMs, fence: new AbortController().signal, rehearsal: !o.book,
      ...(o.dtmf ? { dtmfAfterAnswer: o.dtmf.toUpperCase() } : {}), amd: amdOptions(cfg),
      nextStep: (x) => nextStep(x, campaign.rules),
    });
    if (o.onEvent) follow(session, o.onEvent);
    let ended: CallEvents['ended'][0] | null = null;
    session.on('ended', (e) => (ended = e));
    let earlyMedia: string | null = null;
    let amd: AmdVerdict | null = null;
    session.on('amd', (e) => (amd = e.verdict));
    session.on('early-media', (e) => (earlyMedia = `${e.kind} (${e.cue})`));
    const summary = await session.run();
    const end = ended as CallEvents['ended'][0] | null;
    return {
      callId: summary.callId,
      disposition: summary.disposition,
      because: end?.because ?? '',
      sipStatus: summary.sipStatus,
      q850: end?.q850 ?? null,
      amd,
      earlyMedia,
      durationMs: end?.durationMs ?? 0,
      transcript: [...session.transcript],
      slot: summary.booked && { id: summary.booked.id, startsAt: summary.booked.startsAt.toISOString(), resource: summary.booked.resource },
      rehearsal: !o.book,
      campaignId: campaign.id,
    };
  } finally {
    clearInterval(beating);
    await stopDialer(db, { id: dialerId, now: new Date(clock.now()) }).catch(() => {});
    await engine.close();
  }
}

/** The paused campaign test calls go in, made on first use. */
async function testCampaign(db: Db, dialogId: string, dialogVersion: string): Promise<Campaign> {
  try {
    return await getCampaign(db, TEST_CAMPAIGN_ID);
  } catch (err) {
    if (!(err instanceof ZvonarError) || err.code !== 'CAMPAIGN_NOT_FOUND') throw err;
  }
  try {
    return await createCampaign(db, {
      id: TEST_CAMPAIGN_ID, name: 'test calls (zvonar call)', kind: 'cold', dialogId, dialogVersion, status: 'paused', rules: defaultRules('cold'),
    });
  } catch (err) {
    if (err instanceof ZvonarError && err.code === 'CAMPAIGN_EXISTS') return getCampaign(db, TEST_CAMPAIGN_ID); // made by a call alongside
    throw err;
  }
}

/** "Фамилия Имя Отчество" as a patient; a test patient when not given. */
function patientName(full: string | undefined, timeZone: string) {
  if (full === undefined) return { lastName: 'Тестов', firstName: 'Тест', middleName: null, timeZone };
  const parts = full.trim().split(/\s+/).filter(Boolean);
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length > 60)) {
    throw new ConfigError('CONFIG_INVALID', `--patient: write it as "Фамилия Имя" or "Фамилия Имя Отчество" (${parts.length} words given)`, { path: '--patient' });
  }
  return { lastName: parts[0]!, firstName: parts[1]!, middleName: parts[2] ?? null, timeZone };
}

/** One line per event of the call, for a person watching it. */
function follow(session: CallSession, out: (line: string) => void): void {
  const t = (ms: number) => `${(ms / 1000).toFixed(1).padStart(5)} s`;
  session.on('state', ({ to, atMs }) => out(`${t(atMs)}  ${to}`));
  session.on('early-media', ({ kind, cue, atMs }) => out(`${t(atMs)}  early media: ${kind} (${cue})`));
  session.on('said', ({ text, atMs }) => out(`${t(atMs)}  robot:  ${text}`));
  session.on('heard', ({ text, intent, confidence, atMs }) => out(`${t(atMs)}  callee: ${text}${intent ? `  [${intent}${confidence === null ? '' : ` ${confidence.toFixed(2)}`}]` : ''}`));
  session.on('note', ({ text, atMs }) => out(`${t(atMs)}  ${text.startsWith('(') ? text : `(${text})`}`));
  session.on('dtmf', ({ digit, by, atMs }) => out(`${t(atMs)}  ${by} pressed ${digit}`));
  session.on('handoff', ({ queue, outcome, atMs }) => out(`${t(atMs)}  handed to ${queue}: ${outcome}`));
  session.on('amd', ({ verdict, cue, atMs }) => out(`${t(atMs)}  machine detection: ${verdict} (${cue})`));
  session.on('hangup', ({ by, atMs }) => out(`${t(atMs)}  hung up by ${by}`));
}
