/**
 * `npm run bench`: the benchmarks, one after another, printing their figures. Targets for speed
 * and memory live here, as figures and ratios, not in timed tests. Run from the repository root.
 */
import { benchAmd } from './amd.js';
import { benchBargeIn } from './barge-in.js';
import { benchCalls } from './calls.js';
import { benchCapacity } from './capacity.js';
import { benchImport, benchImportMillion } from './import.js';
import { benchLeasing } from './leasing.js';
import { benchPacing } from './pacing.js';
import { createPrivatePostgres, postgresBinDir } from './private-postgres.js';
import { benchMedia } from './media-rtp.js';
import { benchSpeechCapacity } from './speech-capacity.js';
import { benchSpeech } from './speech-modem.js';
import { benchSpeechTurn } from './speech-turn.js';
import { benchVoices } from './speech-voices.js';

const benches = { media: benchMedia, 'barge-in': benchBargeIn, speech: benchSpeech, 'speech-capacity': benchSpeechCapacity, 'speech-voices': benchVoices, 'speech-turn': benchSpeechTurn, calls: benchCalls, capacity: benchCapacity, import: benchImport, 'import-1m': benchImportMillion, leasing: benchLeasing, pacing: benchPacing, amd: benchAmd };
const only = process.argv.slice(2);

// The registry benchmarks need PostgreSQL: ZVONAR_BENCH_DATABASE_URL, or else a private cluster
// of their own when the server is installed (Debian's postgresql; fsync off, as for the tests).
const onPostgres = ['import', 'import-1m', 'leasing', 'pacing'];
let cluster: Awaited<ReturnType<typeof createPrivatePostgres>> | null = null;
if (!process.env.ZVONAR_BENCH_DATABASE_URL && !process.env.ZVONAR_TEST_DATABASE_URL && postgresBinDir() && (!only.length || only.some((b) => onPostgres.includes(b)))) {
  cluster = await createPrivatePostgres();
  await cluster.start();
  process.env.ZVONAR_BENCH_DATABASE_URL = cluster.url;
  process.stdout.write(`(PostgreSQL: a private cluster at ${cluster.url}, fsync off; set ZVONAR_BENCH_DATABASE_URL for a real server)\n`);
}

for (const [key, bench] of Object.entries(benches)) {
  if (only.length && !only.includes(key)) continue;
  const { name, figures, lines } = (await bench()) as { name: string; figures: Record<string, number | string>; lines?: string[] };
  process.stdout.write(`\n${name}\n`);
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(width)}  ${typeof v === 'number' ? v.toLocaleString('en-US') : v}\n`);
  // the lines an issue names, exactly as it names them (read by checks outside)
  for (const l of lines ?? []) process.stdout.write(`${l}\n`);
}
await cluster?.cleanup();
