// The private cluster lives with the benchmarks (bench/ is built, tests/ is not), and tests use it too.
export { createPrivatePostgres, postgresBinDir, type PrivatePostgres } from '../../bench/private-postgres.js';
