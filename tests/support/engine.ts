import { Config } from '../../src/config/index.js';
import { buildEngine, type Engine } from '../../src/app/index.js';
import { compileScript, loadVersion } from '../../src/dialog/index.js';
import { ANY_HOUR, defaultRules, runCampaign, newDialerId } from '../../src/dialer/index.js';
import {
  addSlots, createCampaign, enrolPatients, upsertPatients, type Db,
} from '../../src/registry/index.js';
import { silentLogger, systemClock, type CampaignRules, type Clock, type Logger } from '../../src/core/index.js';
import type { PersonaName } from '../../src/sim/index.js';

export const DIALOG = loadVersion('dialogs/dispanserization-invite.yaml');
export const SCRIPT = DIALOG.script;
export const MACHINE = DIALOG.machine;

export function testConfig(over: Record<string, unknown> = {}): Config {
  return Config.parse({
    clinic: { name: 'поликлиника номер семь', timeZone: 'Europe/Moscow' },
    telephony: { kind: 'sim', answerDelayMs: 50 },
    trunk: { from: '+78632000000', cps: 100, maxChannels: 10, ringTimeoutMs: 23_000 },
    // the modem voice: the simulated callees read the robot's words exactly
    speech: { kind: 'embedded', voices: ['modem'], recognizer: 'none' },
    log: { level: 'silent' },
    ...over,
  });
}

let seq = 0;

/**
 * A campaign in `db` whose contacts are the given personas (same-length names, so their calls
 * keep step), plus `slots` free therapist slots from tomorrow 08:00 UTC on.
 */
export async function seedCampaign(db: Db, p: { personas: PersonaName[]; slots: number; rules?: Partial<CampaignRules>; now: Date }) {
  const id = `t${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  // simulated callees answer at any hour; calling hours are tested in the registry tests
  const rules = { ...defaultRules('cold'), callingHours: ANY_HOUR, ...p.rules };
  const campaign = await createCampaign(db, { id, name: id, kind: 'cold', dialogId: SCRIPT.id, dialogVersion: SCRIPT.version, rules });
  const phones = p.personas.map((_, i) => `+7900${String(seq).padStart(3, '0')}${String(i).padStart(4, '0')}`);
  const ids = await upsertPatients(db, phones.map((phone) => ({
    lastName: 'Иванова', firstName: 'Анна', middleName: 'Петровна', birthYear: 1961, phone, timeZone: 'Europe/Moscow', tags: [],
  })));
  await enrolPatients(db, { campaignId: id, patientIds: ids, at: p.now });
  const tomorrow = new Date(p.now.getTime() + 86_400_000);
  tomorrow.setUTCHours(8, 0, 0, 0);
  const slotIds = await addSlots(db, Array.from({ length: p.slots }, (_, i) => ({
    resource: `dr-${id}`, specialty: 'therapist',
    startsAt: new Date(tomorrow.getTime() + i * 20 * 60_000), endsAt: new Date(tomorrow.getTime() + (i + 1) * 20 * 60_000),
  })));
  const personaOf = new Map(phones.map((ph, i) => [ph, p.personas[i]!]));
  return { campaign, phones, patientIds: ids, slotIds, personaOf };
}

/** Builds an engine on `db` whose simulated network answers with `personaOf`. */
export async function testEngine(db: Db, personaOf: Map<string, PersonaName>, opts: { clock?: Clock; config?: Config; log?: Logger } = {}): Promise<Engine> {
  return buildEngine(opts.config ?? testConfig(), { db, clock: opts.clock ?? systemClock, log: opts.log ?? silentLogger, personaOf: (ph) => personaOf.get(ph) });
}

export function runUntilIdle(engine: Engine, campaign: Awaited<ReturnType<typeof seedCampaign>>['campaign'], trunk?: Partial<Config['trunk']>, script = SCRIPT) {
  const cfg = engine.config;
  return runCampaign(engine.deps, {
    campaign, dialog: () => (script === SCRIPT ? DIALOG : { script, machine: compileScript(script), hash: 'test' }), trunk: { ...cfg.trunk, ...trunk },
    clinic: { name: cfg.clinic.name, timeZone: cfg.clinic.timeZone }, ...cfg.dialer, dialerId: newDialerId(), untilIdle: true,
  }, new AbortController().signal);
}

/** Waits for a condition that an event will make true (not a sleep: it returns as soon as it holds). */
export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
