import { Socket, createServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile, speechLoad } from '../../bench/speech-capacity.js';
import { connectSpeech } from '../../src/speech/adapters/grpc/index.js';
import type { SpeechConnection } from '../../src/speech/adapters/grpc/index.js';
import { startReferenceSpeechServer } from '../../src/speech/server/index.js';
import type { SpeechServer } from '../../src/speech/server/index.js';
import { modemSpeak } from '../../src/speech/index.js';
import type { AsrEvent, AsrStream } from '../../src/speech/index.js';

let server: SpeechServer;

beforeAll(async () => {
  server = await startReferenceSpeechServer();
});

afterAll(async () => {
  await server?.close();
});

/**
 * A TCP relay in front of the engine, standing for the network: it counts the connections it
 * carries, can hold the engine's bytes back, and can cut every connection at once.
 */
class TcpRelay {
  readonly #net: NetServer;
  readonly #pairs = new Set<[Socket, Socket]>();
  accepted = 0;
  /** bytes the client side sent to the engine */
  sent = 0;
  #held = false;

  private constructor(target: { host: string; port: number }) {
    this.#net = createServer((client) => {
      this.accepted++;
      const engine = new Socket();
      const pair: [Socket, Socket] = [client, engine];
      this.#pairs.add(pair);
      engine.connect(target.port, target.host);
      client.on('data', (d: Buffer) => {
        this.sent += d.length;
        engine.write(d);
      });
      engine.on('data', (d: Buffer) => {
        if (!this.#held) client.write(d);
      });
      const drop = (): void => {
        this.#pairs.delete(pair);
        client.destroy();
        engine.destroy();
      };
      for (const s of pair) {
        s.on('error', drop);
        s.on('close', drop);
      }
    });
  }

  static async start(target: string): Promise<TcpRelay> {
    const [host, port] = target.split(':') as [string, string];
    const relay = new TcpRelay({ host, port: Number(port) });
    await new Promise<void>((resolve) => relay.#net.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get address(): string {
    return `127.0.0.1:${(this.#net.address() as AddressInfo).port}`;
  }

  /** Drops the engine's bytes until cut(): the client hears nothing. */
  hold(): void {
    this.#held = true;
  }

  /** Destroys every connection it carries, as a closed session or a dead link does. */
  cut(): void {
    this.#held = false;
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#net.close(() => resolve()));
  }
}

/** Resolves on the first event matching, from an iterator the test keeps using. */
async function until(events: AsyncIterator<AsrEvent>, type: AsrEvent['type']): Promise<AsrEvent> {
  for (;;) {
    const r = await events.next();
    if (r.done) throw new Error(`events ended before ${type}`);
    if (r.value.type === type) return r.value;
  }
}

/** Resolves once check() holds, looking again after each turn of the event loop (no timers). */
async function when(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

const silence = (ms: number): Int16Array => new Int16Array(ms * 8);

/** A listen step as DialogRun runs it: answer, read until the final, leave the loop (which ends the stream). */
async function answerAndLeave(stream: AsrStream, text: string): Promise<string> {
  stream.write(modemSpeak(text));
  stream.write(silence(100));
  for await (const ev of stream.events()) if (ev.type === 'final') return ev.text;
  throw new Error('no final');
}

describe('speech client: streams ended without resets, spread over connections, re-opened when one is lost (issue 7)', () => {
  it('300 calls of 30 s with 12 listens each, fed 100 ms chunks in real time: no listen fails, every text is heard, no RST_STREAM sent', async () => {
    // 100 ms chunks, not RTP's 20 ms: a fifth of the gRPC messages, so the test fits 2 cores.
    // Before the fix this load failed 121 of 3600 listens and 7 of 3600 prompts (SPEECH_PROTOCOL:
    // "Received RST_STREAM with code 2"): 120 listen-step cancels a second closed the one
    // connection in ~11 s. A relay counting frames saw 2401 RST_STREAMs and a GOAWAY in 20 s of
    // it then, none now.
    const r = await speechLoad({ address: server.address, calls: 300, listens: 12, callMs: 30_000, chunkMs: 100 });
    console.log(
      `speech capacity: ${r.listens} listens, failed ${r.failed} ${JSON.stringify(r.failures)}, resets ${r.stats.resets}, reopened ${r.stats.reopened}, ` +
        `p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms, cpu ${r.cpuSeconds.toFixed(1)} s in ${(r.wallMs / 1000).toFixed(1)} s, loop p99 ${r.loopDelayP99Ms.toFixed(1)} ms, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
    );
    expect(r.failures).toEqual({});
    expect(r.latenciesMs.length).toBe(300 * 12);
    expect(r.stats).toEqual({ resets: 0, reopened: 0 });
  }, 120_000);

  it('1500 listen steps ended in a burst on one connection keep it: 8 listens waiting on it still hear their answers', async () => {
    // nghttp2's rapid-reset limit closes a connection after 1000 RST_STREAMs (+33/s): with a
    // cancel per listen step this burst closed it, and the 8 waiting listens failed SPEECH_PROTOCOL.
    const relay = await TcpRelay.start(server.address);
    const speech = connectSpeech(relay.address, { deadlineMs: 2000, connections: 1 });
    try {
      const waiting = Array.from({ length: 8 }, (_, i) => ({ text: `ждём ${i}`, stream: speech.asr.recognize({ language: 'ru-RU', callId: `w-${i}` }) }));
      for (const w of waiting) w.stream.write(silence(100));
      for (let batch = 0; batch < 15; batch++) {
        const heard = await Promise.all(
          Array.from({ length: 100 }, (_, i) => answerAndLeave(speech.asr.recognize({ language: 'ru-RU' }), `да ${batch}-${i}`)),
        );
        expect(heard[99]).toBe(`да ${batch}-99`);
      }
      const heard = await Promise.all(waiting.map((w) => answerAndLeave(w.stream, w.text)));
      expect(heard).toEqual(waiting.map((w) => w.text));
      expect(speech.stats()).toEqual({ resets: 0, reopened: 0 });
      expect(relay.accepted).toBe(1);
    } finally {
      speech.close();
      await relay.close();
    }
  });

  it('streams take the 4 connections in turn, so a lost connection interrupts a quarter of them', async () => {
    const relay = await TcpRelay.start(server.address);
    const speech = connectSpeech(relay.address, { deadlineMs: 2000 });
    try {
      const heard = await Promise.all(Array.from({ length: 8 }, (_, i) => answerAndLeave(speech.asr.recognize({ language: 'ru-RU' }), `да ${i}`)));
      expect(heard).toEqual(Array.from({ length: 8 }, (_, i) => `да ${i}`));
      expect(relay.accepted).toBe(4);
    } finally {
      speech.close();
      await relay.close();
    }
  });

  it('a connection lost mid-answer costs a re-connect: the listen hears the whole answer, its offsets still count from its first sample', async () => {
    const relay = await TcpRelay.start(server.address);
    const speech = connectSpeech(relay.address, { deadlineMs: 2000, connections: 2 });
    try {
      const answer = 'Да, удобно, спасибо';
      const spoken = modemSpeak(answer);
      const half = Math.floor(spoken.length / 2);
      const stream = speech.asr.recognize({ language: 'ru-RU', callId: 'cut-1' });
      const events = stream.events()[Symbol.asyncIterator]();
      stream.write(silence(1000));
      stream.write(spoken.subarray(0, half));
      expect(await until(events, 'speech-start')).toEqual({ type: 'speech-start', atMs: 1000 });
      relay.cut();
      stream.write(spoken.subarray(half));
      stream.write(silence(200));
      const final = (await until(events, 'final')) as Extract<AsrEvent, { type: 'final' }>;
      expect(final.text).toBe(answer);
      // The same figure as uncut: the burst ends 20 ms before the end of modemSpeak's audio.
      expect(final.atMs).toBeGreaterThan(1000 + spoken.length / 8 - 60);
      expect(final.atMs).toBeLessThan(1000 + spoken.length / 8);
      stream.cancel();
      expect(await events.next()).toEqual({ value: undefined, done: true });
      expect(speech.stats()).toEqual({ resets: 0, reopened: 1 });
      expect(relay.accepted).toBe(2);
    } finally {
      speech.close();
      await relay.close();
    }
  });

  it('a connection lost before the first Synthesize chunk costs a re-connect: the prompt is spoken whole', async () => {
    const relay = await TcpRelay.start(server.address);
    const speech: SpeechConnection = connectSpeech(relay.address, { deadlineMs: 2000, connections: 2 });
    try {
      // Both connections up, so the request below goes out at once.
      await speech.capabilities();
      await speech.capabilities();
      relay.hold();
      const sentBefore = relay.sent;
      const it = speech.tts.synthesize({ text: 'алло', language: 'ru-RU', callId: 'cut-2' })[Symbol.asyncIterator]();
      const first = it.next();
      await when(() => relay.sent > sentBefore);
      relay.cut();
      const chunks: Int16Array[] = [];
      for (let r = await first; !r.done; r = await it.next()) chunks.push(r.value);
      expect(Int16Array.from(chunks.flatMap((c) => [...c]))).toEqual(modemSpeak('алло'));
      expect(speech.stats()).toEqual({ resets: 0, reopened: 1 });
    } finally {
      speech.close();
      await relay.close();
    }
  });

  it('an engine that stays down still fails a listen with SPEECH_UNAVAILABLE after the bounded re-connects', async () => {
    const relay = await TcpRelay.start(server.address);
    const speech = connectSpeech(relay.address, { deadlineMs: 2000, connections: 2 });
    try {
      const stream = speech.asr.recognize({ language: 'ru-RU', callId: 'down-1' });
      const events = stream.events()[Symbol.asyncIterator]();
      const spoken = modemSpeak('Да, удобно, спасибо');
      stream.write(spoken.subarray(0, spoken.length >> 1));
      await until(events, 'speech-start');
      await relay.close();
      const err = await events.next().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'SPEECH_UNAVAILABLE', permanent: false, where: { callId: 'down-1' } });
      expect(speech.stats().reopened).toBe(2);
    } finally {
      speech.close();
    }
  });
});
