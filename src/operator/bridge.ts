import type { MediaSession } from '../media/index.js';

/**
 * A bridge through the engine: each side's audio (decoded 20 ms frames) is played to the other,
 * and keys pressed on one side are sent to the other. Returns what stops it.
 */
export function bridge(a: MediaSession, b: MediaSession): () => void {
  const offs = [
    a.on('audio', (pcm) => void b.play(pcm.slice())),
    b.on('audio', (pcm) => void a.play(pcm.slice())),
    a.on('dtmf', (d) => void b.sendDtmf(d).catch(() => false)),
    b.on('dtmf', (d) => void a.sendDtmf(d).catch(() => false)),
  ];
  a.flush();
  b.flush();
  return () => {
    for (const off of offs) off();
  };
}
