import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveScript, type ScriptChange } from '../../src/dialog/index.js';

const dir = mkdtempSync(join(tmpdir(), 'zvonar-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shipped = readFileSync('dialogs/dispanserization-invite.yaml', 'utf8');

/** Writes the file and moves its mtime on, as an editor's save does (two saves within a millisecond share one). */
let tick = 1_700_000_000;
function save(file: string, text: string): void {
  writeFileSync(file, text);
  tick += 10;
  utimesSync(file, tick, tick);
}

describe('LiveScript: a script edited while its campaign runs', () => {
  it('new calls get the edited version, a call holding the old one keeps it, and an unchanged file is not read again', () => {
    const file = join(dir, 'a.yaml');
    save(file, shipped);
    const changes: ScriptChange[] = [];
    const live = new LiveScript(file, (c) => changes.push(c));
    const first = live.current();
    expect(live.current()).toBe(first);
    save(file, shipped.replace('version: 5', 'version: 40').replace('Ждём вас!', 'Ждём вас с нетерпением!'));
    const second = live.current();
    expect(second.script.version).toBe('40');
    expect(second.hash).not.toBe(first.hash);
    expect(first.script.version).toBe('5'); // what a call in progress holds is untouched
    expect(changes.map((c) => c.kind)).toEqual(['loaded']);
    // the same bytes saved again (a touch) change nothing
    save(file, readFileSync(file, 'utf8'));
    expect(live.current()).toBe(second);
    expect(changes).toHaveLength(1);
  });

  it('a broken edit is refused once, naming the line, and the running version stays; a fix is then picked up', () => {
    const file = join(dir, 'b.yaml');
    save(file, shipped);
    const changes: ScriptChange[] = [];
    const live = new LiveScript(file, (c) => changes.push(c));
    const running = live.current();
    save(file, shipped.replace('yes: find-slots', 'yes: find-slot'));
    expect(live.current()).toBe(running);
    expect(live.current()).toBe(running);
    expect(changes).toHaveLength(1);
    const refused = changes[0]!;
    expect(refused.kind).toBe('refused');
    if (refused.kind === 'refused') {
      expect(refused.error.code).toBe('SCRIPT_UNKNOWN_TARGET');
      expect(refused.error.describe()).toMatch(/b\.yaml:\d+:\d+: goes to "find-slot"/);
      expect(refused.running).toBe(running);
    }
    save(file, shipped.replace('version: 5', 'version: 50'));
    expect(live.current().script.version).toBe('50');
    expect(changes.map((c) => c.kind)).toEqual(['refused', 'loaded']);
  });

  it('a file gone for a moment (an editor saving by rename) leaves the running version', () => {
    const file = join(dir, 'c.yaml');
    save(file, shipped);
    const live = new LiveScript(file);
    const running = live.current();
    rmSync(file);
    expect(live.current()).toBe(running);
    save(file, shipped);
    expect(live.current().hash).toBe(running.hash);
  });
});
