import { isIanaTimeZone, RegistryError, timeZoneProblem, ConfigError, ZvonarError } from '../core/index.js';
import { registryUnreachable } from '../registry/index.js';

/**
 * The one place where an error of unknown kind becomes a coded one: ZvonarErrors pass through
 * (an INTERNAL one is reported as its cause when that is known);
 * a registry that went away (pg errors by SQLSTATE, errno or driver message) becomes
 * REGISTRY_UNAVAILABLE; an invalid time zone that reached Intl becomes CONFIG_INVALID; anything
 * else is INTERNAL with its message. The original stays as the cause, for debug output.
 */
export function toZvonarError(err: unknown): ZvonarError {
  if (err instanceof ZvonarError) {
    // An INTERNAL that only wraps an error this function knows better (the dialer wraps what
    // it does not retry, e.g. 3D000 when the database was dropped) is reported as the cause.
    if (err.code !== 'INTERNAL' || err.cause === undefined || err.cause instanceof ZvonarError) return err;
    const inner = toZvonarError(err.cause);
    return inner.code === 'INTERNAL' ? err : inner;
  }
  const e = (err ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
  // Node reports a refused localhost as an AggregateError with no message: name its parts' code.
  const part = Array.isArray(e.errors) ? (e.errors[0] as { code?: unknown } | undefined)?.code : undefined;
  const message = typeof e.message === 'string' && e.message ? e.message : typeof part === 'string' ? part : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const gone = registryUnreachable(err);
  if (gone) return unavailable(code && !message.includes(code) && /^[0-9A-Z]{5}$/.test(code) ? `${message} (SQLSTATE ${code})` : message, err, gone === 'permanent');

  const zone = /^Invalid time zone specified: (.*)$/.exec(message);
  if (err instanceof RangeError && zone) {
    const tz = zone[1]!;
    return new ConfigError('CONFIG_INVALID', isIanaTimeZone(tz) ? message : timeZoneProblem(tz), {}, { cause: err });
  }
  return new ZvonarError('INTERNAL', `${err instanceof Error && err.name !== 'Error' ? `${err.name}: ` : ''}${message}`, {}, {
    cause: err,
    hint: 'a bug: run again with ZVONAR_LOG_LEVEL=debug and report the output',
  });
}

function unavailable(what: string, cause: unknown, permanent: boolean): RegistryError {
  return new RegistryError('REGISTRY_UNAVAILABLE', `lost the registry: ${what}`, {}, {
    permanent,
    cause,
    hint: permanent ? 'check the database name, user and password in DATABASE_URL' : 'check DATABASE_URL and that the server is running',
  });
}

/**
 * The CLI's failure line: `zvonar: file:line:col: message (hint) [CODE]`, one line whatever the
 * error, with the cause's error code (ECONNREFUSED, 57P01) when it names one; a line per problem
 * for an error that lists several.
 */
export function failureLine(err: ZvonarError): string {
  // A file with several problems (a dialog script, a config): one line each, as describe() gives them.
  if (err.problems.length > 1) return err.describe().split('\n').map((l) => `zvonar: ${l}`).join('\n');
  const { file, line, col } = err.where;
  const at = file ? `${file}${line ? `:${line}${col ? `:${col}` : ''}` : ''}: ` : '';
  const cause = err.cause as { code?: unknown } | undefined;
  const causeCode = typeof cause?.code === 'string' && !err.message.includes(cause.code) ? ` (${cause.code})` : '';
  const hint = err.hint ? `; ${err.hint}` : '';
  return `zvonar: ${at}${err.message}${causeCode}${hint} [${err.code}]`.replace(/\s*\n\s*/g, ' ');
}

/** The error with its stack and its causes' stacks: printed only at debug level. */
export function debugDetail(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(`${depth ? 'caused by: ' : ''}${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return parts.join('\n');
}
