// SQLSTATE codes that mean "the registry is not there" rather than "the query is wrong"
// (PostgreSQL, Appendix A): 08 connection exception, 53300 too_many_connections, 57P01
// admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P05 idle_session_timeout;
// and, for good until someone fixes DATABASE_URL, 57P04 database_dropped, 3D000
// invalid_catalog_name, 28000/28P01 authentication.
const GONE_FOR_NOW = /^(08...|53300|57P0[1235])$/;
const GONE_FOR_GOOD = /^(57P04|3D000|28000|28P01)$/;

// Socket errors: node-postgres passes them on as they are.
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

// What node-postgres says, with no code, when the server goes away mid-session.
const DRIVER_MESSAGE = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/**
 * Whether an error says the registry cannot be reached: 'transient' when it may come back by
 * itself (a restart, a dropped connection), 'permanent' when DATABASE_URL names a database or a
 * user that is not there; null when it is some other error (a query's own fault).
 */
export function registryUnreachable(err: unknown): 'transient' | 'permanent' | null {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && GONE_FOR_GOOD.test(code)) return 'permanent';
  if (code && GONE_FOR_NOW.test(code)) return 'transient';
  // Node reports a refused localhost (::1 and 127.0.0.1) as an AggregateError with the code of its parts.
  const first = Array.isArray(e.errors) ? (e.errors[0] as { code?: unknown } | undefined) : undefined;
  const sock = code ?? (typeof first?.code === 'string' ? first.code : undefined);
  if (sock && SOCKET.has(sock)) return 'transient';
  if (typeof e.message === 'string' && DRIVER_MESSAGE.test(e.message)) return 'transient';
  return null;
}

/**
 * Whether a database error may pass if the same statement is tried again: the registry went
 * away for now (see registryUnreachable), or a serialization failure or deadlock (40001, 40P01)
 * lost to another transaction. SQL mistakes and constraint violations are permanent.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return registryUnreachable(err) === 'transient' || code === '40001' || code === '40P01';
}
