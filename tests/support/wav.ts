// The WAV reader lives with the benchmarks (bench/ is built, tests/ is not), and tests use it too.
export { concatPcm, readWav, type Wav } from '../../bench/wav.js';
