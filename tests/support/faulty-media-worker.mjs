/**
 * The media worker with faults on cue, for tests of a worker that dies (a worker thread cannot
 * load TypeScript, so this is JavaScript over the built module in dist/). A play() of exactly
 * 4242 samples throws an uncaught error in the thread; one of 4243 calls process.exit(3), which
 * in a worker ends the thread alone.
 */
import { parentPort } from 'node:worker_threads';
// first: its listener must be on the port before any message is delivered
import '../../dist/src/media/media-worker.js';

parentPort.on('message', (commands) => {
  for (const c of commands) {
    if (c.op !== 'play') continue;
    if (c.pcm.length === 4242) setImmediate(() => { throw new Error('injected fault'); });
    if (c.pcm.length === 4243) process.exit(3);
  }
});
