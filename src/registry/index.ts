// The registry's surface: the Db port, migrations and one function per query. The concrete
// databases (pg-db.ts, pglite-db.ts) are adapters: only src/app imports them.
export type { Db } from './db.js';
export { migrate, listMigrations } from './migrate.js';
export * from './campaigns.js';
export * from './patients.js';
export * from './contacts.js';
export * from './contacts-csv.js';
export * from './attempts.js';
export * from './slots.js';
export * from './visits.js';
export * from './do-not-call.js';
export * from './reports.js';
export * from './exports.js';
export * from './sim-personas.js';
export * from './dialers.js';
export { isTransientDbError, registryUnreachable } from './db-errors.js';
export { persist } from './persist.js';
export * from './trunks.js';
export * from './mis-bookings.js';
export * from './operators.js';
