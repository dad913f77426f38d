// The seeded generator lives with the benchmarks (bench/ is built, tests/ is not), and tests use it too.
export { seededRandom } from '../../bench/seeded-random.js';
