import { RegistryError, ZvonarError, type Clock, type Logger } from '../core/index.js';
import { isTransientDbError } from './db-errors.js';

/**
 * Runs registry work until it goes through: a lost connection or a restarting PostgreSQL is
 * retried, backing off from 250 ms to 5 s, for up to budgetMs; then (or at once, for an error
 * no retry can mend) it rejects. What gives up is reported as REGISTRY_UNAVAILABLE.
 */
export async function persist<T>(fn: () => Promise<T>, o: { clock: Clock; log: Logger; what: string; budgetMs: number }): Promise<T> {
  const t0 = o.clock.now();
  let wait = 250;
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      if (!mayPass(err)) throw err;
      if (o.clock.now() - t0 + wait > o.budgetMs) {
        throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry did not come back within ${Math.round(o.budgetMs / 1000)} s (${o.what})`, {}, {
          permanent: false,
          cause: err,
          hint: 'check that PostgreSQL is running; an attempt left open is closed by the next dialer',
        });
      }
      if (tries === 1) o.log.warn({ what: o.what, err: (err as Error).message }, 'registry unreachable; retrying');
      await new Promise<void>((resolve) => o.clock.setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 5000);
    }
  }
}

/** A lost connection, a restart, a serialization conflict: also inside a migration's error. */
function mayPass(err: unknown): boolean {
  if (!(err instanceof ZvonarError)) return isTransientDbError(err);
  return err.code === 'REGISTRY_MIGRATION' && isTransientDbError(err.cause);
}
