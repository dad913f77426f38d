/**
 * Whether a database error may pass if the same statement is tried again: the connection was
 * lost or refused, the server is shutting down or starting (PostgreSQL restarted), or a
 * serialization conflict. SQL mistakes and constraint violations are permanent.
 * SQLSTATE classes: 08 connection exception, 57 operator intervention (57P01 admin shutdown,
 * 57P03 cannot connect now), 53 insufficient resources; 40001 / 40P01 serialization, deadlock.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError);
  if (/^E[A-Z]+$/.test(code)) return true; // Node's socket errors: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT
  return /^(08|57|53)/.test(code) || code === '40001' || code === '40P01';
}
