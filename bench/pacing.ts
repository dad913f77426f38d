/**
 * A trunk's CPS shared by two dialer processes through PostgreSQL (src/registry/trunks.ts): each
 * process takes channels as fast as it can for 60 s, holds each "call" 1-3 s, and beats as the
 * dialer does. Figures: calls started per second over the configured CPS (target 0.97-1.00; the
 * trunk spaces starts 2% wider than 1/cps, so 0.98 is the design), the
 * most starts in any one-second window (never over the CPS), and the peak of calls at once over
 * the channels. Needs ZVONAR_BENCH_DATABASE_URL (or ZVONAR_TEST_DATABASE_URL); a fresh database
 * is made and dropped.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NO_DATABASE, withBenchDatabase } from './bench-database.js';
import { beat, migrate, registerDialer, releaseTrunk, stopDialer, takeTrunk } from '../src/registry/index.js';
import { connectPostgres } from '../src/registry/pg-db.js';

const CPS = 10;
const CHANNELS = 40;
const RUN_MS = 60_000;
const LIVE_MS = 10_000;
const CHILD = '--pacing-child';

type Figures = Record<string, number | string>;

export async function benchPacing(): Promise<{ name: string; figures: Figures; lines?: string[] }> {
  const name = `pacing: one trunk (${CPS} CPS, ${CHANNELS} channels) shared by two processes for ${RUN_MS / 1000} s, on PostgreSQL`;
  return (await withBenchDatabase('pacing', async (url) => {
    const db = await connectPostgres(url, { max: 1 });
    await migrate(db);
    await db.close();
    const t0 = Date.now() + 1000;
    const runs = await Promise.all(['A', 'B'].map((who) => child(url, who, t0)));
    const starts = runs.flatMap((r) => r.starts).sort((a, b) => a - b);
    const calls = runs.flatMap((r) => r.calls);
    const edges = calls.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let open = 0;
    let peak = 0;
    for (const [, d] of edges) peak = Math.max(peak, (open += d));
    const achieved = starts.length / (RUN_MS / 1000);
    const maxSecond = maxInWindow(starts, 1000);
    return {
      name,
      figures: {
        'calls started: A, B': `${runs[0]!.starts.length}, ${runs[1]!.starts.length}`,
        'achieved / configured CPS (target 0.97-1.00)': Number((achieved / CPS).toFixed(3)),
        [`most starts in any second (never over ${CPS})`]: maxSecond,
        [`peak calls at once (never over ${CHANNELS})`]: peak,
      },
      lines: [`pacing: achieved/configured CPS over ${RUN_MS / 1000} s with two processes: ${(achieved / CPS).toFixed(3)} (max in any second ${maxSecond})`],
    };
  })) ?? { name, figures: NO_DATABASE };
}

/** The most starts in any half-open window of `ms`, over sorted times. */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

interface ChildRun { starts: number[]; calls: [number, number][] }

function child(url: string, who: string, t0: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), [CHILD, url, who, String(t0)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    proc.once('message', (m: ChildRun) => resolve(m));
    proc.once('exit', (code) => code !== 0 && reject(new Error(`pacing child ${who} exited with ${code}`)));
  });
}

if (process.argv[2] === CHILD) {
  const [url, who, t0s] = process.argv.slice(3) as [string, string, string];
  const t0 = Number(t0s);
  const db = await connectPostgres(url, { max: 4 });
  const id = `bench-${who}-${process.pid}`;
  const limits = { trunk: 'bench', cps: CPS, channels: CHANNELS, liveMs: LIVE_MS };
  await registerDialer(db, { id, host: 'bench', pid: process.pid, now: new Date() });
  let held = 0;
  const beating = setInterval(() => void beat(db, { id, now: new Date(), leaseMs: LIVE_MS, trunkCalls: { trunk: 'bench', calls: held } }).catch(() => {}), 1000);
  const run: ChildRun = { starts: [], calls: [] };
  const live = new Set<Promise<void>>();
  await new Promise((r) => setTimeout(r, Math.max(0, t0 - Date.now())));
  while (Date.now() - t0 < RUN_MS) {
    held++;
    const slot = await takeTrunk(db, { ...limits, dialerId: id, now: new Date() });
    if (!slot) {
      held--;
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const wait = slot.startAt.getTime() - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (Date.now() - t0 >= RUN_MS) {
      await releaseTrunk(db, { trunk: 'bench', dialerId: id });
      held--;
      break;
    }
    const start = Date.now();
    run.starts.push(start);
    const call: Promise<void> = new Promise<void>((r) => setTimeout(r, 1000 + Math.random() * 2000)).then(async () => {
      run.calls.push([start, Date.now()]);
      await releaseTrunk(db, { trunk: 'bench', dialerId: id });
      held--;
      live.delete(call);
    });
    live.add(call);
  }
  await Promise.all(live);
  clearInterval(beating);
  await stopDialer(db, { id, now: new Date() });
  await db.close();
  process.send!(run, () => process.exit(0));
}
