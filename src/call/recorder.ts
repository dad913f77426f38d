import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock, Logger, RecordingPolicy } from '../core/index.js';
import type { MediaSession } from '../media/index.js';

/**
 * Call recording: each answered call kept as one WAV file, 8 kHz 16-bit stereo, left the callee
 * (what the robot heard), right the robot (what it said), named `<call id>.wav`: never by phone
 * number or name, since whoever lists the folder must learn nothing of the patients. A campaign
 * asks for it in its file (`recording:`); it is off by default.
 *
 * It must never block or break a call. Both sides are kept in memory in one-second blocks, as the
 * call goes, bounded by the longest call (dialer.maxCallMs: 32 kB a second, 9.6 MB for the default
 * 5 minutes); the file is written once the media session closes, in the background, a second at a
 * time, to a temporary name renamed at the end (a crash leaves no half file under a call's name).
 * A failure is logged at warn, with the call id and the error code only, and the call goes on.
 */

/** What a call session needs: a media session that keeps what passes through it. */
export interface CallRecorder {
  /**
   * Returns a media session that is `media` and also keeps both sides from now on; the file is
   * written when it closes. Never throws: on any fault the call gets `media` itself.
   */
  record(callId: string, media: MediaSession): MediaSession;
}

const RATE = 8000;
const BLOCK = RATE; // samples per block: one second
const DAY_MS = 86_400_000;
const SWEEP_EVERY_MS = 3_600_000;
/** What a recording's name looks like (call ids are UUIDs): the sweep deletes nothing else. */
const RECORDING_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.wav(\.part)?$/;
/**
 * A far end's frames come one per 20 ms, and the receiver gives a gap in its stream (up to one
 * second: rtp-receiver.ts, MAX_FILL_SAMPLES) as silence when the stream resumes: so frames are laid
 * one after another, and laid by the clock only when they fall further behind it than that fill
 * can explain. The first frame is laid by the clock.
 */
const MAX_BEHIND_SAMPLES = RATE;

/**
 * Recorders for one campaign: one folder, its retention swept at start and hourly. close() stops
 * the sweep and waits for the files being written.
 */
export class WavRecorder implements CallRecorder {
  readonly #dir: string;
  readonly #retentionMs: number;
  readonly #maxSamples: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #writing = new Set<Promise<void>>();
  #sweepTimer: unknown;
  #closed = false;
  /** files written so far */
  written = 0;

  constructor(policy: Pick<RecordingPolicy, 'dir' | 'retentionDays'>, o: { maxCallMs: number; clock: Clock; log: Logger }) {
    this.#dir = policy.dir;
    this.#retentionMs = policy.retentionDays * DAY_MS;
    // the dialog is stopped at maxCallMs; a message left to a machine and the hang-up follow it
    this.#maxSamples = Math.ceil(((o.maxCallMs + 30_000) * RATE) / 1000);
    this.#clock = o.clock;
    this.#log = o.log;
    this.#sweepSoon(0);
  }

  get dir(): string {
    return this.#dir;
  }

  record(callId: string, media: MediaSession): MediaSession {
    if (this.#closed) return media;
    try {
      return new RecordingMedia(media, this.#clock, this.#maxSamples, (tracks) => this.#write(callId, tracks));
    } catch (err) {
      this.#log.warn({ callId, error: code(err) }, 'call not recorded');
      return media;
    }
  }

  /** Deletes recordings older than retentionDays; resolves with how many. */
  async sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const before = this.#clock.now() - this.#retentionMs;
    let deleted = 0;
    for (const name of names) {
      if (!RECORDING_NAME.test(name)) continue;
      const file = join(this.#dir, name);
      const s = await stat(file).catch(() => null);
      if (!s?.isFile() || s.mtimeMs >= before) continue;
      await unlink(file).then(() => deleted++, () => {});
    }
    return deleted;
  }

  /** Stops the hourly sweep; resolves when every recording under way is written (or failed). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clock.clearTimeout(this.#sweepTimer);
    while (this.#writing.size) await Promise.all(this.#writing);
  }

  #sweepSoon(ms: number): void {
    this.#sweepTimer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.sweep()
        .then((n) => n && this.#log.info({ deleted: n, retentionDays: this.#retentionMs / DAY_MS }, 'old call recordings deleted'))
        .catch((err: unknown) => this.#log.warn({ error: code(err) }, 'old call recordings not swept'))
        .finally(() => !this.#closed && this.#sweepSoon(SWEEP_EVERY_MS));
    }, ms);
    (this.#sweepTimer as { unref?: () => void } | null)?.unref?.();
  }

  #write(callId: string, tracks: { heard: Track; said: Track }): void {
    const file = join(this.#dir, `${callId}.wav`);
    const writing = writeWav(file, tracks.heard, tracks.said)
      .then(() => {
        this.written++;
        this.#log.debug({ callId }, 'call recorded');
      })
      .catch((err: unknown) => this.#log.warn({ callId, error: code(err) }, 'call recording not written'))
      .finally(() => this.#writing.delete(writing));
    this.#writing.add(writing);
  }
}

/** One side of a call: samples in one-second blocks, made as they are first written. */
export class Track {
  readonly #blocks: (Int16Array | undefined)[] = [];
  readonly #max: number;
  /** one past the last sample written */
  length = 0;

  constructor(maxSamples: number) {
    this.#max = maxSamples;
  }

  /** Writes pcm at sample `at`; what falls past the bound is dropped. Called per received frame: allocates only a new block. */
  write(at: number, pcm: Int16Array): void {
    const end = Math.min(at + pcm.length, this.#max);
    for (let i = Math.max(0, at); i < end; ) {
      const b = Math.floor(i / BLOCK);
      const block = (this.#blocks[b] ??= new Int16Array(BLOCK));
      const off = i - b * BLOCK;
      const n = Math.min(BLOCK - off, end - i);
      for (let k = 0; k < n; k++) block[off + k] = pcm[i - at + k]!;
      i += n;
    }
    if (end > this.length) this.length = end;
  }

  /** Block `b` (silence when nothing was written there). */
  block(b: number): Int16Array | undefined {
    return this.#blocks[b];
  }
}

/** A played chunk of the robot's audio, where it went out on the line. */
interface Played {
  at: number;
  pcm: Int16Array;
}

/**
 * The call's media session, keeping both sides. The callee's frames are laid one after another
 * (see MAX_BEHIND_SAMPLES). The robot's audio is laid where it went out: a chunk played starts when
 * the queue before it has gone (the media paces in real time), flush() drops what had not gone,
 * pause() and resume() move what waited, close() drops what never went.
 */
class RecordingMedia implements MediaSession {
  readonly #media: MediaSession;
  readonly #clock: Clock;
  readonly #t0: number;
  readonly #heard: Track;
  readonly #max: number;
  readonly #played: Played[] = [];
  readonly #done: (tracks: { heard: Track; said: Track }) => void;
  /** where the callee's next frame goes; null before the first */
  #cursor: number | null = null;
  /** where the robot's queued audio ends */
  #queueEnd = 0;
  #pausedAt: number | null = null;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(media: MediaSession, clock: Clock, maxSamples: number, done: (tracks: { heard: Track; said: Track }) => void) {
    this.#media = media;
    this.#clock = clock;
    this.#t0 = clock.now();
    this.#max = maxSamples;
    this.#heard = new Track(maxSamples);
    this.#done = done;
    this.#unsubscribe = media.on('audio', (pcm) => this.#hear(pcm));
  }

  get id(): string {
    return this.#media.id;
  }
  get stats() {
    return this.#media.stats;
  }
  get codec() {
    return this.#media.codec;
  }
  offer(): string {
    return this.#media.offer();
  }
  answer(sdp: string): void {
    this.#media.answer(sdp);
  }
  accept(sdpOffer: string): string {
    return this.#media.accept(sdpOffer);
  }
  sendDtmf(digit: string, durationMs?: number): Promise<boolean> {
    return this.#media.sendDtmf(digit, durationMs);
  }
  on: MediaSession['on'] = (event, fn) => this.#media.on(event, fn);

  play(pcm: Int16Array): Promise<boolean> {
    const playing = this.#media.play(pcm);
    if (!this.#closed) {
      const now = this.#now();
      const at = Math.max(now, this.#queueEnd);
      // a paused queue keeps growing; resume() moves it on
      if (at < this.#max) this.#played.push({ at, pcm: pcm.slice() });
      this.#queueEnd = at + pcm.length;
    }
    return playing;
  }

  pause(): void {
    this.#media.pause();
    this.#pausedAt ??= this.#now();
  }

  resume(): void {
    this.#media.resume();
    if (this.#pausedAt === null) return;
    const from = this.#pausedAt;
    const by = this.#now() - from;
    this.#pausedAt = null;
    if (by <= 0) return;
    for (let i = 0; i < this.#played.length; i++) {
      const p = this.#played[i]!;
      const end = p.at + p.pcm.length;
      if (end <= from) continue;
      if (p.at >= from) {
        p.at += by;
      } else {
        // went out in part before the pause: the rest goes after it
        this.#played.splice(i + 1, 0, { at: from + by, pcm: p.pcm.subarray(from - p.at) });
        p.pcm = p.pcm.subarray(0, from - p.at);
        i++;
      }
    }
    if (this.#queueEnd > from) this.#queueEnd += by;
  }

  flush(): void {
    this.#media.flush();
    this.#cut(this.#pausedAt ?? this.#now());
  }

  close(): void {
    this.#media.close();
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#cut(this.#pausedAt ?? this.#now());
    const said = new Track(this.#max);
    for (const p of this.#played) said.write(p.at, p.pcm);
    this.#played.length = 0;
    this.#done({ heard: this.#heard, said });
  }

  /** Nothing queued from `at` on went out. */
  #cut(at: number): void {
    for (const p of this.#played) if (p.at + p.pcm.length > at) p.pcm = p.pcm.subarray(0, Math.max(0, at - p.at));
    this.#queueEnd = Math.min(this.#queueEnd, Math.max(at, 0));
  }

  #hear(pcm: Int16Array): void {
    const endNow = this.#now();
    const start = this.#cursor === null ? endNow - pcm.length : Math.max(this.#cursor, endNow - pcm.length - MAX_BEHIND_SAMPLES);
    this.#heard.write(start, pcm);
    this.#cursor = start + pcm.length;
  }

  /** Samples since recording began. */
  #now(): number {
    return Math.round(((this.#clock.now() - this.#t0) * RATE) / 1000);
  }
}

/** Writes the two tracks as a stereo WAV, a second at a time, under a temporary name first. */
async function writeWav(file: string, left: Track, right: Track): Promise<void> {
  const samples = Math.max(left.length, right.length);
  const dataBytes = samples * 4;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 }); // medical data: the owner's only
  const part = `${file}.part`;
  const fh = await open(part, 'w', 0o600);
  let complete = false;
  try {
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(36 + dataBytes, 4);
    header.write('WAVEfmt ', 8, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20); // PCM
    header.writeUInt16LE(2, 22); // stereo
    header.writeUInt32LE(RATE, 24);
    header.writeUInt32LE(RATE * 4, 28); // bytes a second
    header.writeUInt16LE(4, 32); // bytes a frame
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(dataBytes, 40);
    await fh.write(header);
    const buf = Buffer.alloc(BLOCK * 4);
    for (let b = 0; b * BLOCK < samples; b++) {
      const n = Math.min(BLOCK, samples - b * BLOCK);
      const l = left.block(b);
      const r = right.block(b);
      for (let i = 0; i < n; i++) {
        buf.writeInt16LE(l ? l[i]! : 0, i * 4);
        buf.writeInt16LE(r ? r[i]! : 0, i * 4 + 2);
      }
      await fh.write(buf, 0, n * 4);
    }
    complete = true;
  } finally {
    await fh.close();
    if (!complete) await unlink(part).catch(() => {});
  }
  await rename(part, file);
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.name : 'error');
}
