/**
 * Fixed prompts' audio, kept: a prompt marked `fixed` (the same for every call, no patient's data
 * in it) is synthesised once per text, voice and rate and then played from memory, so the first
 * word of a call never waits on an engine and a busy engine is asked less. warm() renders a
 * script's fixed prompts when a campaign starts. Least recently used audio goes first beyond
 * maxBytes. Prompts with a patient's name or slot are never kept.
 */
import type { SynthesizeRequest, Tts } from './ports.js';

export interface TtsCache extends Tts {
  /** Renders these prompts now (those not yet kept); resolves with how many were kept and which failed, never rejects. */
  warm(reqs: readonly SynthesizeRequest[]): Promise<{ kept: number; failed: string[] }>;
  stats(): { entries: number; bytes: number; hits: number; misses: number };
}

/** Prompts warm() renders at once. */
const WARM_AT_ONCE = 4;
/** Chunks handed out from a kept prompt: 100 ms, as an engine streams them. */
const CHUNK = 800;

function keyOf(r: SynthesizeRequest): string {
  return `${r.language}\u0000${r.voice ?? ''}\u0000${r.rate ?? 1}\u0000${r.text}`;
}

export function cachingTts(inner: Tts, opts: { maxBytes?: number } = {}): TtsCache {
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  /** insertion order is recency: a hit moves its entry to the end */
  const kept = new Map<string, Int16Array>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;

  const keep = (key: string, pcm: Int16Array): void => {
    if (pcm.byteLength > maxBytes) return;
    const old = kept.get(key);
    if (old) {
      bytes -= old.byteLength;
      kept.delete(key);
    }
    kept.set(key, pcm);
    bytes += pcm.byteLength;
    for (const [k, v] of kept) {
      if (bytes <= maxBytes) break;
      kept.delete(k);
      bytes -= v.byteLength;
    }
  };

  async function* synthesizeAndKeep(req: SynthesizeRequest, key: string, signal?: AbortSignal): AsyncGenerator<Int16Array> {
    const chunks: Int16Array[] = [];
    let size = 0;
    for await (const pcm of inner.synthesize(req, signal)) {
      chunks.push(pcm.slice());
      size += pcm.length;
      yield pcm;
    }
    if (signal?.aborted) return;
    const all = new Int16Array(size);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    keep(key, all);
  }

  return {
    async *synthesize(req, signal) {
      if (!req.fixed) {
        yield* inner.synthesize(req, signal);
        return;
      }
      const key = keyOf(req);
      const pcm = kept.get(key);
      if (!pcm) {
        misses++;
        yield* synthesizeAndKeep(req, key, signal);
        return;
      }
      hits++;
      kept.delete(key);
      kept.set(key, pcm);
      for (let at = 0; at < pcm.length && !signal?.aborted; at += CHUNK) yield pcm.subarray(at, at + CHUNK);
    },
    async warm(reqs) {
      let n = 0;
      const failed: string[] = [];
      const todo = reqs.filter((r) => !kept.has(keyOf(r)));
      n += reqs.length - todo.length;
      // a few at once: an engine with several workers renders them side by side
      const next = async (): Promise<void> => {
        for (let req = todo.shift(); req; req = todo.shift()) {
          const key = keyOf(req);
          try {
            for await (const pcm of synthesizeAndKeep({ ...req, fixed: true }, key)) void pcm;
            if (kept.has(key)) n++;
          } catch (err) {
            failed.push(`${req.text.slice(0, 40)}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: WARM_AT_ONCE }, next));
      return { kept: n, failed };
    },
    stats: () => ({ entries: kept.size, bytes, hits, misses }),
  };
}

/** A call's own prompts are kept up to this much audio (about a minute at 8 kHz). */
const CALL_PROMPTS_BYTES = 1024 * 1024;

interface CallPrompt {
  chunks: Int16Array[];
  done: boolean;
  failed: unknown;
  wake: Set<() => void>;
}

/**
 * A call's own prompts (not `fixed`: the patient's name or slot in them), kept for the call's
 * length and dropped with it. Said again (the greeting after a screening assistant, "повторите",
 * a re-prompt), they play at once instead of waiting on the engine, which a burst of calls keeps
 * busy. A prompt cut short (a barge-in, a screening verdict) is still synthesised to its end, so
 * that it can be said again whole; `over` (the call's end) stops that. Fixed prompts go to
 * `inner` as they are (cachingTts keeps those for every call).
 */
export function callPrompts(inner: Tts, over: AbortSignal): Tts {
  const kept = new Map<string, CallPrompt>();
  let bytes = 0;
  const start = (req: SynthesizeRequest, key: string): CallPrompt => {
    const p: CallPrompt = { chunks: [], done: false, failed: null, wake: new Set() };
    kept.set(key, p);
    const tell = () => {
      for (const fn of p.wake) fn();
    };
    void (async () => {
      let size = 0;
      try {
        for await (const pcm of inner.synthesize(req, over)) {
          p.chunks.push(pcm.slice());
          size += pcm.byteLength;
          tell();
        }
        // cut by the call's end, or too much of the call's audio: not kept for next time
        if (over.aborted || bytes + size > CALL_PROMPTS_BYTES) kept.delete(key);
        else bytes += size; // only what is kept counts against the call's bound
      } catch (err) {
        p.failed = err;
        kept.delete(key); // asked again, it is asked of the engine again
      } finally {
        p.done = true;
        tell();
      }
    })();
    return p;
  };
  return {
    async *synthesize(req, signal) {
      if (req.fixed) {
        yield* inner.synthesize(req, signal);
        return;
      }
      const key = keyOf(req);
      const p = kept.get(key) ?? start(req, key);
      for (let i = 0; ; ) {
        if (signal?.aborted) return;
        if (i < p.chunks.length) {
          yield p.chunks[i++]!;
          continue;
        }
        if (p.failed !== null) throw p.failed;
        if (p.done) return;
        await new Promise<void>((resolve) => {
          const wake = () => {
            p.wake.delete(wake);
            signal?.removeEventListener('abort', wake);
            resolve();
          };
          p.wake.add(wake);
          signal?.addEventListener('abort', wake, { once: true });
        });
      }
    },
  };
}
