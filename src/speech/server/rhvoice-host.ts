/**
 * A child process holding one RHVoice engine (src/speech/server/rhvoice.ts forks a pool of these).
 *
 * Why a process and not a thread: two RHVoice engines speaking at once in one process make
 * RHVoice_speak() fail now and then (measured: 12 of 760 prompts with two engines, 5 of 380 with
 * four; none with one), so each engine has an address space of its own. A crash in the library
 * also takes only this process down; the pool starts another.
 *
 * The engine runs in a worker thread (rhvoice-worker.ts) because RHVoice_speak() is synchronous:
 * this thread stays free to take a stop from the parent and raise the flag the engine's speech
 * callback reads, so an abort stops the library within a few ms.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, RhvoiceWorkerData, ToWorker } from './rhvoice-worker.js';

/** From the pool to this process; the stop flag stays on this side. */
export type ToHost = { t: 'speak'; id: number; text: string; voice: string; rate: number } | { t: 'stop'; id: number };

function run(send: (m: FromWorker) => void): void {
  const data = JSON.parse(process.argv[2] ?? '{}') as RhvoiceWorkerData;
  const worker = new Worker(new URL('./rhvoice-worker.js', import.meta.url), { workerData: data });
  let speaking: { id: number; stop: Int32Array } | null = null;
  worker.on('message', (m: FromWorker) => {
    if (m.t === 'done' && speaking?.id === m.id) speaking = null;
    send(m);
  });
  worker.on('error', (err) => {
    send({ t: 'failed', message: err.message });
    process.exit(1);
  });
  worker.on('exit', () => process.exit(1));
  process.on('message', (m: ToHost) => {
    if (m.t === 'speak') {
      const stop = new SharedArrayBuffer(4);
      speaking = { id: m.id, stop: new Int32Array(stop) };
      worker.postMessage({ ...m, stop } satisfies ToWorker);
    } else if (m.t === 'stop' && speaking?.id === m.id) {
      Atomics.store(speaking.stop, 0, 1);
    }
  });
  // the pool is gone: so is this process (a thread inside a native call cannot be ended otherwise)
  process.on('disconnect', () => process.exit(0));
}

if (process.send) run((m) => process.send!(m));
