import { isIanaTimeZone, RegistryError, timeZoneProblem, ConfigError, ZvonarError } from '../core/index.js';

// SQLSTATE classes and codes that mean "the registry is not there" rather than "the query is
// wrong" (PostgreSQL, Appendix A): 08 connection exception, 53300 too_many_connections,
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P04 database_dropped,
// 57P05 idle_session_timeout, 3D000 invalid_catalog_name, 28000/28P01 authentication.
const UNREACHABLE_SQLSTATE = /^(08...|53300|57P0[1-5]|3D000|28000|28P01)$/;

// Socket errors. Every other network client in zvonar (gRPC speech, RTP, SIP) wraps its errors
// in its own coded class, so a raw socket error reaching the CLI comes from the pg driver.
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

// What node-postgres says, with no code, when the server goes away mid-session.
const UNREACHABLE_MESSAGE = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

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
  const e = (err ?? {}) as { code?: unknown; errno?: unknown; message?: unknown; errors?: unknown };
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  // Node reports a refused localhost (::1 and 127.0.0.1) as an AggregateError with the code of its parts.
  const first = Array.isArray(e.errors) ? (e.errors[0] as { code?: unknown; message?: unknown } | undefined) : undefined;
  const sockCode = code ?? (typeof first?.code === 'string' ? first.code : undefined);

  if (code && UNREACHABLE_SQLSTATE.test(code)) {
    return unavailable(`${message} (SQLSTATE ${code})`, err, code.startsWith('28') || code === '3D000');
  }
  if (sockCode && UNREACHABLE_ERRNO.has(sockCode)) {
    return unavailable(message && message !== sockCode ? message : sockCode, err, false);
  }
  if (UNREACHABLE_MESSAGE.test(message)) return unavailable(message, err, false);

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
