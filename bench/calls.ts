/**
 * Whole calls through the engine on one process: the simulated network, real RTP over
 * 127.0.0.1, the reference speech server over gRPC, the dialog, and the registry on PGlite.
 *
 * 1. Signalling + registry: callees that are busy (486), so each call is lease -> attempt row ->
 *    INVITE -> final response -> retry decision, with no media: attempts recorded per second.
 * 2. Answered calls at once: each one is greeted, agrees, is offered two slots and books one, in
 *    real time (20 ms RTP frames). Figures: CPU seconds per call, projected concurrent calls per
 *    core, first-audio latency, event-loop delay.
 * Bounded: at most 300 busy calls and 40 booking calls, about 30 s in all.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { silentLogger } from '../src/core/index.js';
import { buildEngine } from '../src/app/index.js';
import { Config } from '../src/config/index.js';
import { loadVersion } from '../src/dialog/index.js';
import { ANY_HOUR, defaultRules, runCampaign, newDialerId } from '../src/dialer/index.js';
import { addSlots, createCampaign, enrolPatients, migrate, upsertPatients, type Db } from '../src/registry/index.js';
import { openPglite } from '../src/registry/pglite-db.js';
import type { PersonaName } from '../src/sim/index.js';

const dialog = loadVersion('dialogs/dispanserization-invite.yaml');
const { script } = dialog;

async function campaignOf(db: Db, id: string, persona: PersonaName, n: number, personas: Map<string, PersonaName>) {
  const campaign = await createCampaign(db, { id, name: id, kind: 'cold', dialogId: script.id, dialogVersion: script.version, rules: { ...defaultRules('cold'), callingHours: ANY_HOUR } });
  const phones = Array.from({ length: n }, (_, i) => `+7900${id === 'busy' ? '1' : '2'}${String(i).padStart(6, '0')}`);
  phones.forEach((p) => personas.set(p, persona));
  const ids = await upsertPatients(db, phones.map((phone) => ({ lastName: 'Иванова', firstName: 'Анна', middleName: 'Петровна', birthYear: 1961, phone, timeZone: 'Europe/Moscow', tags: [] })));
  await enrolPatients(db, { campaignId: id, patientIds: ids, at: new Date() });
  return campaign;
}

export async function benchCalls(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const db = await openPglite();
  await migrate(db);
  const personas = new Map<string, PersonaName>();
  const busyN = 300;
  const bookN = 40;
  const busy = await campaignOf(db, 'busy', 'busy', busyN, personas);
  const book = await campaignOf(db, 'book', 'agree', bookN, personas);
  const day = new Date(Date.now() + 86_400_000);
  await addSlots(db, Array.from({ length: bookN * 2 }, (_, i) => ({
    resource: `dr-${i % 8}`, specialty: 'therapist',
    startsAt: new Date(day.getTime() + Math.floor(i / 8) * 1_200_000), endsAt: new Date(day.getTime() + (Math.floor(i / 8) + 1) * 1_200_000),
  })));
  const cfg = Config.parse({
    clinic: { name: 'поликлиника номер семь' },
    telephony: { kind: 'sim', answerDelayMs: 0 },
    trunk: { from: '+78632000000', cps: 10_000, maxChannels: bookN },
    speech: { kind: 'embedded' },
    log: { level: 'silent' },
  });
  const engine = await buildEngine(cfg, { db, log: silentLogger, personaOf: (p) => personas.get(p) });
  const run = (campaign: typeof busy, channels: number) => runCampaign(engine.deps, {
    campaign, dialog: () => dialog, trunk: { ...cfg.trunk, maxChannels: channels }, clinic: { name: cfg.clinic.name, timeZone: cfg.clinic.timeZone },
    ...engine.config.dialer, dialerId: newDialerId(), untilIdle: true,
  }, new AbortController().signal);
  try {
    let t = performance.now();
    await run(busy, 50);
    const busySec = (performance.now() - t) / 1000;

    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const cpu0 = process.cpuUsage();
    t = performance.now();
    await run(book, bookN);
    const wallSec = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lag.disable();
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const { rows } = await db.query<{ n: number; talk: number }>(
      `select count(*)::int as n, avg(extract(epoch from ended_at - answered_at))::float8 as talk from attempt where campaign_id = 'book' and disposition = 'BOOKED'`);
    const booked = rows[0]!.n;
    const talkSec = rows[0]!.talk;
    const firstAudio = (await engine.metrics.getSingleMetric('zvonar_first_audio_seconds')!.get()).values;
    const named = (n: string) => (firstAudio as { metricName?: string; value: number }[]).find((v) => v.metricName === n)!.value;
    const sum = named('zvonar_first_audio_seconds_sum');
    const count = named('zvonar_first_audio_seconds_count');
    return {
      name: 'calls through the simulated network (PGlite, gRPC speech, RTP on 127.0.0.1)',
      figures: {
        'busy calls': busyN,
        'busy attempts recorded per second': Math.round(busyN / busySec),
        'booking calls at once': bookN,
        booked,
        'mean talk time per call, s': Number(talkSec.toFixed(2)),
        'wall time, s': Number(wallSec.toFixed(2)),
        'CPU seconds per booking call': Number((cpuSec / bookN).toFixed(3)),
        'CPU share of one core per live call': Number((cpuSec / bookN / talkSec).toFixed(4)),
        'projected live calls per core': Math.floor(talkSec / (cpuSec / bookN)),
        'first audio after answer, mean ms': Math.round((sum / count) * 1000),
        'event-loop delay p99, ms': Number((lag.percentile(99) / 1e6).toFixed(1)),
        'rss, MiB': Math.round(process.memoryUsage().rss / 2 ** 20),
      },
    };
  } finally {
    await engine.close();
    await db.close();
  }
}
