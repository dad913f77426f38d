import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { failureLine, toZvonarError } from '../../src/app/index.js';
import { ScriptError, ZvonarError } from '../../src/core/index.js';

/** How errors of unknown kind become the CLI's coded one-liners (src/app/errors.ts). */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
const sockError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });

describe('toZvonarError', () => {
  const unavailable: [string, unknown][] = [
    ['ECONNREFUSED from the pg driver', sockError('ECONNREFUSED')],
    ['ECONNRESET', sockError('ECONNRESET')],
    ['a refused localhost as an AggregateError', Object.assign(new AggregateError([sockError('ECONNREFUSED')], ''), {})],
    ['57P01 admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['57P03 the server is starting', pgError('57P03', 'the database system is starting up')],
    ['08006 connection failure', pgError('08006', 'connection failure')],
    ['"Connection terminated unexpectedly" (no code)', new Error('Connection terminated unexpectedly')],
    ['3D000 the database does not exist', pgError('3D000', 'database "x" does not exist')],
  ];
  for (const [what, err] of unavailable) {
    it(`turns ${what} into REGISTRY_UNAVAILABLE, keeping it as the cause`, () => {
      const e = toZvonarError(err);
      expect(e.code).toBe('REGISTRY_UNAVAILABLE');
      expect(e.cause).toBe(err);
    });
  }

  it('passes a ZvonarError through unchanged', () => {
    const err = new ScriptError('SCRIPT_INVALID', 'x', { file: 'a.yaml', line: 1 });
    expect(toZvonarError(err)).toBe(err);
  });

  it('reports an INTERNAL that wraps a known error as that error, and one that wraps a bug as itself', () => {
    const dropped = pgError('3D000', 'database "x" does not exist');
    expect(toZvonarError(new ZvonarError('INTERNAL', dropped.message, {}, { cause: dropped })).code).toBe('REGISTRY_UNAVAILABLE');
    const bug = new ZvonarError('INTERNAL', 'x is undefined', {}, { cause: new TypeError('x is undefined') });
    expect(toZvonarError(bug)).toBe(bug);
  });

  it('turns an invalid time zone that reached Intl into CONFIG_INVALID with the nearest zone', () => {
    let err: unknown;
    try {
      new Intl.DateTimeFormat('ru', { timeZone: 'Europe/Moskow' });
    } catch (e) {
      err = e;
    }
    const e = toZvonarError(err);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('Europe/Moscow');
  });

  it('turns anything else into INTERNAL with its name and message, and no stack', () => {
    const e = toZvonarError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe("TypeError: Cannot read properties of undefined (reading 'x')");
    expect(toZvonarError('a string').message).toBe('a string');
    expect(toZvonarError(pgError('42P01', 'relation "x" does not exist')).code).toBe('INTERNAL');
  });
});

describe('failureLine', () => {
  it('is one line: position, message, cause code, hint, code', () => {
    const e = new ZvonarError('REGISTRY_UNAVAILABLE', 'cannot connect to PostgreSQL at postgres://x@h/x', {}, { cause: sockError('ECONNREFUSED'), hint: 'check DATABASE_URL' });
    expect(failureLine(e)).toBe('zvonar: cannot connect to PostgreSQL at postgres://x@h/x (ECONNREFUSED); check DATABASE_URL [REGISTRY_UNAVAILABLE]');
    const s = new ScriptError('SCRIPT_UNKNOWN_TARGET', 'goes to "bokk"', { file: 'd.yaml', line: 14, col: 9 }, { hint: 'did you mean\n"book"?' });
    expect(failureLine(s)).toBe('zvonar: d.yaml:14:9: goes to "bokk"; did you mean "book"? [SCRIPT_UNKNOWN_TARGET]');
  });
});

describe.skipIf(!process.env.ZVONAR_TEST_DATABASE_URL)('toZvonarError on what node-postgres really throws', () => {
  const url = process.env.ZVONAR_TEST_DATABASE_URL!;

  it('a connection the server terminates (pg_terminate_backend: 57P01) becomes REGISTRY_UNAVAILABLE', async () => {
    const victim = new pg.Client({ connectionString: url });
    victim.on('error', () => {}); // the driver also emits it; the CLI's query is what rejects
    await victim.connect();
    const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    const err = await victim.query('select 1').then(() => null, (e: unknown) => e);
    await victim.end().catch(() => {});
    expect(err).not.toBeNull();
    expect(toZvonarError(err).code).toBe('REGISTRY_UNAVAILABLE');
  });

  it('a port nobody listens on (ECONNREFUSED) becomes REGISTRY_UNAVAILABLE', async () => {
    const u = new URL(url);
    u.port = '1';
    const c = new pg.Client({ connectionString: u.toString() });
    const err = await c.connect().then(() => null, (e: unknown) => e);
    expect(toZvonarError(err).code).toBe('REGISTRY_UNAVAILABLE');
  });
});
