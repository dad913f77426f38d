import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError, type ZvonarError } from '../../src/core/index.js';

const DEFAULT = readFileSync('config/default.yaml', 'utf8');
const PROBLEM_LINE = /^config\/broken\.yaml:\d+:\d+: .+ \[[A-Z_]+\]$/;
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

function configError(text: string | Uint8Array, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig('config/broken.yaml', env, text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const err = e as ConfigError;
    for (const line of err.describe().split('\n')) expect(line).toMatch(PROBLEM_LINE);
    return err;
  }
  throw new Error('loadConfig() accepted the configuration');
}

describe('loadConfig()', () => {
  it('accepts the shipped config/default.yaml, read from disk and given as bytes', () => {
    expect(loadConfig('config/default.yaml', {}).clinic.timeZone).toBe('Europe/Moscow');
    expect(loadConfig('config/default.yaml', {}, readFileSync('config/default.yaml')).trunk.from).toMatch(/^\+7/);
  });

  for (const [zone, says] of [
    ['Europe/Moskow', /"Europe\/Moskow" is not an IANA time zone.*Did you mean Europe\/Moscow\?/],
    ['MSK', /"MSK" is not an IANA time zone/],
    ['"+03:00"', /"\+03:00" is not an IANA time zone/],
    ['Mars/Olympus', /"Mars\/Olympus" is not an IANA time zone/],
  ] as const) {
    it(`refuses clinic.timeZone ${zone} at its line, when the configuration loads`, () => {
      const err = configError(DEFAULT.replace('timeZone: Europe/Moscow', `timeZone: ${zone}`));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.where.line).toBe(lineOf(DEFAULT, 'timeZone:'));
      expect(err.message).toMatch(says);
    });
  }

  it('accepts an IANA alias ICU still resolves (Europe/Kiev) and UTC', () => {
    expect(loadConfig('c.yaml', {}, DEFAULT.replace('timeZone: Europe/Moscow', 'timeZone: Europe/Kiev')).clinic.timeZone).toBe('Europe/Kiev');
    expect(loadConfig('c.yaml', {}, DEFAULT.replace('timeZone: Europe/Moscow', 'timeZone: UTC')).clinic.timeZone).toBe('UTC');
  });

  it('refuses an empty database.dataDir', () => {
    const err = configError(DEFAULT.replace(/dataDir: \S+/, 'dataDir: ""'));
    expect(err.message).toMatch(/database\.dataDir: must name a folder/);
    expect(err.where.line).toBe(lineOf(DEFAULT, 'dataDir:'));
  });

  it('reports every problem of a configuration in one run, one line each in file order', () => {
    const text = DEFAULT.replace('timeZone: Europe/Moscow', 'timeZone: MSK').replace(/dataDir: \S+/, 'dataDir: ""').replace('level: info', 'level: loud').replace('port: 9464', 'port: 99999\n  extra: 1');
    const err = configError(text);
    const lines = err.describe().split('\n');
    expect(lines.map((l) => l.match(/:(\d+):\d+: /)![1])).toEqual(['timeZone:', 'dataDir:', 'level:', 'port:', 'extra:'].map((n) => String(lineOf(text, n))));
    expect(lines[2]).toMatch(/"loud" is not one of fatal, error, warn, info/);
    expect(err.problems).toHaveLength(5);
  });

  it('refuses an alias bomb as CONFIG_INVALID with a position, and allows a few aliases', () => {
    const bomb = `${DEFAULT}x: &a [lol]\ny: [${Array(125).fill('*a').join(', ')}]\n`;
    const err = configError(bomb);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/more than 20 aliases/);
    expect(err.where.line).toBe(lineOf(bomb, 'y: ['));
    const nested = `${DEFAULT}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`;
    expect(configError(nested).message).toMatch(/aliases expand to too many copies/);
    const few = DEFAULT.replace('metrics:\n  host: 127.0.0.1', 'metrics:\n  host: &local 127.0.0.1').replace('media:\n  host: 127.0.0.1', 'media:\n  host: *local');
    expect(loadConfig('c.yaml', {}, few).media.host).toBe('127.0.0.1');
  });

  it('refuses an alias inside the value it names, and an alias before its anchor, at the alias', () => {
    const loop = `${DEFAULT}x: &l [a, [*l]]\n`;
    const err = configError(loop);
    expect(err.message).toMatch(/alias \*l refers to a value that contains it/);
    expect(err.where).toMatchObject({ line: lineOf(loop, 'x: &l'), col: 12 });
    const early = DEFAULT.replace('metrics:\n  host: 127.0.0.1', 'metrics:\n  host: *local').replace('media:\n  host: 127.0.0.1', 'media:\n  host: &local 127.0.0.1');
    const e2 = configError(early);
    expect(e2.message).toMatch(/an alias comes before its anchor/);
    expect(e2.where.line).toBe(lineOf(early, '*local'));
  });

  it('refuses a configuration that is not UTF-8, at the line of the first bad byte', () => {
    const bytes = Buffer.from(DEFAULT, 'utf8');
    const at = bytes.indexOf(Buffer.from('поликлиника'));
    bytes[at] = 0xef; // the first byte of "п" in Windows-1251
    bytes[at + 1] = 0x20;
    const err = configError(bytes);
    expect(err.where.line).toBe(lineOf(DEFAULT, 'поликлиника'));
    expect(err.describe()).toMatch(/not UTF-8.*save the file as UTF-8/);
  });

  it('refuses a control character in the clinic name (it is spoken to patients)', () => {
    const err = configError(DEFAULT.replace(/name: .*/, 'name: "Поликлиника\\0"'));
    expect(err.message).toMatch(/clinic\.name: contains a control character \(U\+0000\)/);
  });

  it('names a persona the simulated network does not have at its line, with the nearest one', () => {
    const text = DEFAULT.replace('defaultPersona: agree', 'defaultPersona: agre');
    const line = text.split('\n').findIndex((l) => l.includes('defaultPersona: agre')) + 1;
    let err: unknown;
    try {
      loadConfig('c.yaml', {}, text, { personas: ['agree', 'busy'] });
    } catch (e) {
      err = e;
    }
    expect((err as ZvonarError).describe()).toMatch(new RegExp(`^c\\.yaml:${line}:\\d+: telephony\\.defaultPersona: no persona "agre"\\. Did you mean "agree"\\?.*\\[CONFIG_INVALID\\]$`, 's'));
    expect(loadConfig('c.yaml', {}, DEFAULT, { personas: ['agree'] }).telephony).toMatchObject({ kind: 'sim', defaultPersona: 'agree' });
  });

  it('refuses a persona number named __proto__', () => {
    const err = configError(DEFAULT.replace('  kind: sim', '  kind: sim\n  personas:\n    __proto__: agree'));
    expect(err.message).toMatch(/__proto__/);
  });

  it('refuses an empty, a carriage-return-only and a 2 MB file at line 1, column 1', () => {
    for (const text of ['', '\r\r', `# ${'x'.repeat(2 << 20)}\n`]) expect(configError(text).where).toMatchObject({ line: 1, col: 1 });
  });

  describe('telephony: drachtio', () => {
    const EXAMPLE = readFileSync('config/drachtio.example.yaml', 'utf8');
    it('accepts config/drachtio.example.yaml, with the secret and trunk passwords from the environment', () => {
      const cfg = loadConfig('config/drachtio.example.yaml', { ZVONAR_DRACHTIO_SECRET: 's3', ZVONAR_TRUNK_PASSWORD_MAIN: 'pw' });
      expect(cfg.telephony).toMatchObject({ kind: 'drachtio', host: '127.0.0.1', port: 9022, secret: 's3', keepAliveMs: 30_000 });
      expect(cfg.telephony.kind === 'drachtio' && cfg.telephony.trunks[0]).toMatchObject({ name: 'main', username: '8632000000', password: 'pw', dial: 'national8' });
    });
    it('refuses a drachtio telephony without a secret, at its line, naming the variable that can give it', () => {
      const text = EXAMPLE.replace(/ {2}secret: .*\n/, '');
      const err = configError(text);
      expect(err.message).toMatch(/telephony\.secret: drachtio-server's admin secret is not set/);
      expect(err.hint).toMatch(/ZVONAR_DRACHTIO_SECRET/);
      expect(err.where.line).toBe(lineOf(text, 'telephony:'));
    });
    it('refuses a trunk with a user name and no password (from the file or the environment), naming the variable', () => {
      const err = configError(EXAMPLE, { ZVONAR_DRACHTIO_SECRET: 's3' });
      expect(err.message).toMatch(/telephony\.trunks\.0\.username: "main" has a user name but no password/);
      expect(err.hint).toMatch(/ZVONAR_TRUNK_PASSWORD_MAIN/);
      expect(err.where.line).toBe(lineOf(EXAMPLE, 'username:'));
    });
    it('refuses a trunk address that is not host[:port], two trunks of one name, and no trunk', () => {
      expect(configError(EXAMPLE.replace('sip.provider.example:5060', 'sip://provider')).message).toMatch(/address: host\[:port\]/);
      const twice = EXAMPLE.replace('  trunks:\n', '  trunks:\n    - { name: main, address: 10.0.0.1 }\n');
      expect(configError(twice).message).toMatch(/trunk names must differ/);
      expect(configError(EXAMPLE.replace(/ {2}trunks:\n[\s\S]*?\n\n/, '  trunks: []\n\n')).message).toMatch(/name at least one trunk/);
    });
  });

  it('refuses a bad ZVONAR_LOG_LEVEL naming the variable', () => {
    expect(() => loadConfig('config/default.yaml', { ZVONAR_LOG_LEVEL: 'loud' })).toThrow(/ZVONAR_LOG_LEVEL: "loud"/);
  });
});
