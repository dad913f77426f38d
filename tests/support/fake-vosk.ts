/**
 * A stand-in for vosk-server (alphacep/vosk-server, websocket/asr_server.py) that speaks its
 * WebSocket protocol on 127.0.0.1 and "recognises" the modem voice exactly: a burst made by
 * modemSpeak(text) is heard as its text's words, by the ModemListener the simulated callees use.
 *
 * As asr_server.py does, it takes text frames holding "config" as the recogniser's settings (the
 * phrase list only before the first audio), answers every binary frame with one text frame
 * ({"partial": ...} or, at an endpoint, {"result": [...], "text": ...}), answers the exact string
 * {"eof" : 1} with the final result and closes, and fails the connection (1011) on any other text.
 * Its endpoint is a pause of endpointMs after a burst (Kaldi's rule 2 is 0.5 s of trailing
 * silence). With a phrase list it hears only the list's words: another word is "[unk]" when the
 * list has it, else forced onto the list's first word, as a narrow bigram grammar does.
 *
 * Faults make it refuse nothing itself (use unusedUrl() for that) but stall, drop or babble.
 */
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ModemListener } from '../../src/speech/index.js';

const RATE = 8000;

export type FakeVoskFault =
  /** accepts connections and frames, answers none */
  | { kind: 'stall' }
  /** cuts the TCP connection (no close frame) after afterFrames audio frames, on the next `connections` connections */
  | { kind: 'drop'; afterFrames: number; connections: number }
  /** answers frame number afterFrames + 1 with this instead */
  | { kind: 'nonsense'; afterFrames: number; frame: string | Buffer };

/** One client connection as the fake saw it. */
export interface FakeVoskConnection {
  /** the config frames' objects merged, as asr_server.py reads them */
  config: Record<string, unknown>;
  /** binary frames received */
  frames: number;
  /** sample counts of the binary frames */
  frameSamples: number[];
  eof: boolean;
  /** text frames sent */
  sent: string[];
  /** resolves with the close code when the connection is gone */
  closed: Promise<number>;
  isClosed: boolean;
}

export interface FakeVosk {
  url: string;
  connections: FakeVoskConnection[];
  /** what goes wrong from now on (null: nothing) */
  fault: FakeVoskFault | null;
  close(): Promise<void>;
}

export interface FakeVoskOptions {
  /** trailing silence that ends an utterance (default 300 ms) */
  endpointMs?: number;
  /** each word's confidence (default 1) */
  conf?: (word: string) => number;
}

interface Word {
  word: string;
  start: number;
  end: number;
}

export async function startFakeVosk(opts: FakeVoskOptions = {}): Promise<FakeVosk> {
  const endpointSamples = ((opts.endpointMs ?? 300) * RATE) / 1000;
  const conf = opts.conf ?? (() => 1);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const fake: FakeVosk = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    connections: [],
    fault: null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };

  wss.on('connection', (ws: WebSocket) => {
    let onClosed!: (code: number) => void;
    const conn: FakeVoskConnection = {
      config: {},
      frames: 0,
      frameSamples: [],
      eof: false,
      sent: [],
      closed: new Promise<number>((r) => (onClosed = r)),
      isClosed: false,
    };
    fake.connections.push(conn);
    ws.on('close', (code) => {
      conn.isClosed = true;
      onClosed(code);
    });
    const fault = fake.fault;
    const drops = fault?.kind === 'drop' && fault.connections > 0;
    if (drops) fault.connections--;

    let listener: ModemListener | null = null;
    let vocabulary: Set<string> | null = null;
    let samples = 0;
    let carrier = false;
    let words: Word[] = [];
    let lastSpeechEnd = 0;

    const send = (obj: unknown): void => {
      const text = JSON.stringify(obj, null, 2);
      conn.sent.push(text);
      ws.send(text);
    };
    const heard = (w: string): string => {
      if (!vocabulary || vocabulary.has(w)) return w;
      return vocabulary.has('[unk]') ? '[unk]' : [...vocabulary][0]!;
    };
    const result = (): unknown => {
      const out = words.map((w) => ({ conf: conf(w.word), end: w.end / RATE, start: w.start / RATE, word: w.word }));
      const text = words.map((w) => w.word).join(' ');
      words = [];
      return out.length > 0 ? { result: out, text } : { text };
    };
    // the recogniser is made on the first frame after the config, as in asr_server.py
    const recogniser = (): ModemListener => {
      if (listener) return listener;
      const list = conn.config.phrase_list;
      if (Array.isArray(list)) vocabulary = new Set(list.flatMap((p) => String(p).split(' ')));
      listener = new ModemListener();
      return listener;
    };

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (fault?.kind === 'stall') return;
      if (!isBinary) {
        const text = data.toString('utf8');
        if (text.includes('config')) {
          Object.assign(conn.config, (JSON.parse(text) as { config: Record<string, unknown> }).config);
          return;
        }
        if (text === '{"eof" : 1}') {
          conn.eof = true;
          recogniser();
          send(result());
          ws.close(1000);
          return;
        }
        // asr_server.py hands any other text to AcceptWaveform, which fails the handler
        ws.close(1011);
        return;
      }
      conn.frames++;
      if (fault?.kind === 'drop' && drops && conn.frames > fault.afterFrames) {
        ws.terminate();
        return;
      }
      if (fault?.kind === 'nonsense' && conn.frames === fault.afterFrames + 1) {
        ws.send(fault.frame, { binary: typeof fault.frame !== 'string' });
        return;
      }
      const pcm = new Int16Array(data.byteLength >> 1);
      for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(2 * i);
      conn.frameSamples.push(pcm.length);
      // the listener's offsets count from the connection's first sample, as Vosk's word times do
      for (const ev of recogniser().push(pcm)) {
        if (ev.type === 'carrier') carrier = true;
        else if (ev.type === 'carrier-lost') carrier = false;
        else {
          words.push(...spread(ev.text, ev.startSample, ev.endSample).map((w) => ({ ...w, word: heard(w.word) })));
          lastSpeechEnd = ev.endSample;
        }
      }
      samples += pcm.length;
      if (words.length > 0 && !carrier && samples - lastSpeechEnd >= endpointSamples) send(result());
      else send({ partial: words.map((w) => w.word).join(' ') });
    });
  });
  return fake;
}

/** A burst's text as Vosk's words (lower case, no punctuation), its time shared by their lengths. */
function spread(text: string, start: number, end: number): Word[] {
  const ws = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  const total = ws.reduce((n, w) => n + w.length, 0);
  let at = start;
  return ws.map((word) => {
    const len = ((end - start) * word.length) / total;
    const w = { word, start: Math.round(at), end: Math.round(at + len) };
    at += len;
    return w;
  });
}

/** A ws:// address nothing listens on: connections to it are refused. */
export async function unusedUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

/** A TCP server that accepts and never answers the WebSocket handshake (a hung process). */
export async function startSilentTcp(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
