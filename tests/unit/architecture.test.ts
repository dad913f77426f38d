import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the code (DESIGN.md, "Layout"): folders are the architecture, a folder's
 * index.ts is its whole surface, core depends on nothing, and only src/app picks adapters.
 */
const SRC = resolve('src');

/** Concrete adapters: implementations of ports that only src/app may import. */
const ADAPTERS = [
  'registry/pg-db.ts',
  'registry/pglite-db.ts',
  'media/rtp-session.ts',
  'media/port-allocator.ts',
  'media/rtp-sender.ts',
  'media/rtp-receiver.ts',
  'media/rtcp-channel.ts',
  'media/worker-media.ts',
  'media/media-worker.ts',
  'media/native-io.ts',
  'telephony/drachtio/drachtio-calls.ts',
  'speech/server/index.ts',
  'speech/adapters/grpc/index.ts',
  'speech/adapters/grpc/synthesize.ts',
  'speech/adapters/grpc/recognize.ts',
  'speech/adapters/grpc/calls.ts',
  'speech/adapters/vosk/index.ts',
  'speech/adapters/vosk/recognize.ts',
  'speech/adapters/yandex/index.ts',
  'speech/adapters/yandex/recognize.ts',
  'speech/adapters/yandex/synthesize.ts',
  'speech/adapters/tinkoff/index.ts',
  'speech/adapters/tinkoff/recognize.ts',
  'speech/adapters/tinkoff/synthesize.ts',
  'sim/sim-network.ts',
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Every relative import of a file, resolved to a path under src/ ('.js' -> '.ts'). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

const folderOf = (p: string) => p.split('/')[0]!;
const all = files(SRC).map((f) => ({ file: relative(SRC, f), deps: imports(f) }));

describe('architecture', () => {
  it('finds the source tree and every listed adapter', () => {
    const names = all.map((f) => f.file);
    expect(names.length).toBeGreaterThan(20);
    for (const a of ADAPTERS) expect(names).toContain(a);
  });

  it('src/core imports nothing from other src folders', () => {
    const bad = all.filter((f) => folderOf(f.file) === 'core').flatMap((f) => f.deps.filter((d) => folderOf(d) !== 'core').map((d) => `${f.file} -> ${d}`));
    expect(bad).toEqual([]);
  });

  it('outside src/app, a folder reaches another only through its index.ts', () => {
    const bad = all
      .filter((f) => folderOf(f.file) !== 'app')
      .flatMap((f) => f.deps.filter((d) => folderOf(d) !== folderOf(f.file) && !/^[a-z]+\/index\.ts$/.test(d)).map((d) => `${f.file} -> ${d}`));
    expect(bad).toEqual([]);
  });

  it('no folder index.ts re-exports an adapter, so only src/app imports concrete adapters', () => {
    const bad = all.filter((f) => /^[^/]+\/index\.ts$/.test(f.file)).flatMap((f) => f.deps.filter((d) => ADAPTERS.includes(d)).map((d) => `${f.file} -> ${d}`));
    expect(bad).toEqual([]);
    const importers = all.filter((f) => folderOf(f.file) !== 'app').flatMap((f) =>
      f.deps.filter((d) => ADAPTERS.includes(d) && folderOf(d) !== folderOf(f.file)).map((d) => `${f.file} -> ${d}`));
    expect(importers).toEqual([]);
  });

  it('configuration depends on core only: it knows no adapter (the sim\'s personas are checked by the app)', () => {
    const deps = all.filter((f) => folderOf(f.file) === 'config').flatMap((f) => f.deps.map(folderOf));
    expect(new Set(deps)).toEqual(new Set(['config', 'core']));
  });

  it('the dialog language knows no configuration: its loader takes a file\'s text, the caller reads the settings', () => {
    const deps = all.filter((f) => folderOf(f.file) === 'dialog').flatMap((f) => f.deps.map(folderOf));
    expect(deps).not.toContain('config');
  });

  it('a dialog verb is one file and one line of the registry: the schema, checker and compiler name no verb', async () => {
    const { VERBS } = await import('../../src/dialog/verbs/index.js');
    const files = readdirSync(join(SRC, 'dialog/verbs')).filter((f) => f !== 'verb.ts' && f !== 'index.ts');
    expect(VERBS.map((v) => `${v.key}.ts`).sort()).toEqual(files.sort());
    for (const f of ['compile.ts', 'load-script.ts', 'script-schema.ts', 'runtime.ts']) {
      const text = readFileSync(join(SRC, 'dialog', f), 'utf8');
      // a step's verb key read by name (step.listen, st.book, 'slots'); the context's own fields (context.visit) are not verbs
      const named = VERBS.map((v) => v.key).filter((k) => new RegExp(`\\b(?:step|st|steps\\[[^\\]]+\\]!?)\\.${k}\\b|'${k}'`).test(text));
      expect(named, f).toEqual([]);
    }
  });

  it('speech adapters depend on ports, never on another adapter or the server: the gRPC client knows nothing of the modem voice', () => {
    const adapterOf = (p: string) => /^speech\/adapters\/([^/]+)\//.exec(p)?.[1];
    const clients = all.filter((f) => adapterOf(f.file));
    expect(clients.length).toBeGreaterThanOrEqual(6);
    const bad = clients.flatMap((f) =>
      f.deps
        .filter((d) => d.startsWith('speech/modem/') || d.startsWith('speech/server/') || (adapterOf(d) !== undefined && adapterOf(d) !== adapterOf(f.file)))
        .map((d) => `${f.file} -> ${d}`));
    expect(bad).toEqual([]);
  });

  it('the CLI talks to the app, not to adapters or the dialer directly', () => {
    const cli = all.filter((f) => folderOf(f.file) === 'cli').flatMap((f) => f.deps.map(folderOf));
    expect(new Set(cli)).toEqual(new Set(['app', 'config', 'core']));
  });
});
