/**
 * The recognisers' speed, and the robot's turn latency over real sockets. Runs 2-4 minutes
 * (one call at a time, in real time); an engine that is not installed is reported as such.
 *
 * 1. `asr rtf: <engine>`: decode wall time / audio duration, summed over a set of answers.
 *    pocketsphinx (one worker, the reference server's recogniser): every Russian phrase of the
 *    built-in yes and no intents (intents/grammar.ts grammarPhrases), spoken by RHVoice (four
 *    voices in turn), 8 kHz through G.711 μ-law and back, with 300 ms of silence before and 500 ms
 *    after (the server's pre-roll and end silence: what its utterance cutter hands the recogniser),
 *    decoded against the yes+no grammar; also per-utterance p50/p95 and how many were heard as the
 *    intent said. modem: the same phrases as modem-voice bursts, same padding, through
 *    ModemListener 160 samples at a time, as the server's Recognize feeds it.
 *
 * 2. `turn latency`: end of the callee's speech -> the first RTP packet of the robot's reply, on
 *    the wire. What runs is what a call runs, minus signalling and the registry:
 *      - the speech engines exactly as the app starts them (src/app/speech.ts startSpeech: the
 *        embedded gRPC server on 127.0.0.1 with startEmbeddedEngines, the gRPC client, the router,
 *        and cachingTts with the script's fixed prompts rendered first, as warmPrompts does);
 *      - the robot's MediaSession from createRtpMediaFactory (as build-engine.ts), with a VAD for
 *        barge-in (as call-session.ts), and a DialogRun of a three-question script (below);
 *      - the callee: a plain UDP socket on 127.0.0.1 that answered the robot's SDP offer and sends
 *        G.711 with the engine's RtpSender (keepSending: silence between its answers, as a phone
 *        does); it timestamps every packet it receives.
 *    When the robot opens a listen (the ASR stream), the callee waits REACTION_MS and plays its
 *    next answer (modem-voice bursts in (a), RHVoice speech in (b), leading and trailing silence
 *    trimmed). End of speech = the moment the packet carrying the answer's last sample left the
 *    callee's socket (its play() resolving); the reply = the first packet with the RTP marker bit
 *    (start of a talkspurt: the robot sends nothing between prompts) received afterwards.
 *    Own overhead = that total - recogniser time (end of speech -> the final or no-match arriving
 *    out of the router, which includes the server's 500 ms end-of-utterance silence and the RTP
 *    jitter buffer) - synthesiser time (the request reaching the engine -> its first audio chunk;
 *    0 when the reply came from the TTS cache). The breakdown line splits the total into: media in
 *    (end of speech -> the last voiced 20 ms frame handed to the dialog), speech server (-> the
 *    result), dialog (-> the reply's TTS request), TTS (-> its first chunk: engine or cache), media
 *    out (-> its first packet received by the callee); medians, so they need not add up.
 *    Everything (engines aside: RHVoice threads, pocketsphinx processes) shares one process and
 *    event loop, the callee included, on a machine shared with other work: figures are an upper
 *    bound for an idle machine and a lower bound for a busy dialer.
 *
 * SPEECH_TURN_ONLY=asr|a|b runs one part; SPEECH_TURN_TIMELINE=1 prints each scenario's events.
 */
import type { Socket } from 'node:dgram';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startSpeech } from '../src/app/speech.js';
import { Config } from '../src/config/index.js';
import { silentLogger, systemClock } from '../src/core/index.js';
import { compileScript, DialogRun, fixedPrompts, loadScript, type DialogDeps } from '../src/dialog/index.js';
import { grammarPhrases } from '../src/dialog/intents/grammar.js';
import { buildSdpAnswer, decodeUlaw, encodeUlaw, parseRtp, parseSdpOffer, Vad, type MediaSession } from '../src/media/index.js';
import { bindRtpSocket } from '../src/media/port-allocator.js';
import { monotonicClock, RtpSender } from '../src/media/rtp-sender.js';
import { createRtpMediaFactory } from '../src/media/rtp-session.js';
import { ModemListener, modemSpeak, type Asr, type AsrEvent, type AsrStream, type SynthesizeRequest, type Tts } from '../src/speech/index.js';
import { startRhvoice, type VoiceEngine } from '../src/speech/server/index.js';
import { startPocketsphinx } from '../src/speech/server/pocketsphinx/index.js';
import { cachingTts } from '../src/speech/tts-cache.js';
import { concatPcm } from './wav.js';

type Figures = Record<string, number | string>;

/** SPEECH_TURN_ONLY=asr|a|b runs one part; SPEECH_TURN_TIMELINE=1 prints each scenario's events to stderr. */
const wanted = (part: 'asr' | 'a' | 'b') => !process.env.SPEECH_TURN_ONLY || process.env.SPEECH_TURN_ONLY === part;

const RATE = 8000;
const FRAME = 160;
/** voices the callee's answers are spoken in, in turn (not the robot's default, aleksandr, first) */
const CALLEE_VOICES = ['anna', 'elena', 'irina', 'aleksandr'];
/** before and after each answer given to the recogniser directly (part 1) */
const PRE_MS = 300;
const POST_MS = 500;
/** the callee starts answering this long after the robot starts listening */
const REACTION_MS = 300;
const TURNS = 24;
const SCENARIO_MAX_MS = 150_000;
const TARGET_P95_MS = 800;
const TARGET_OWN_MS = 50;

const CLINIC = { name: 'поликлиника номер семь', timeZone: 'Europe/Moscow' };
/**
 * Three questions round and round, every answer moving on: the reply to an answer is the next
 * question (fixed, from the cache, or with the patient's name, synthesised live), a
 * re-prompt, or the "did you say" confirmation of a guess (live).
 */
const SCRIPT = loadScript('bench/speech-turn.yaml', `
id: bench-turns
version: 1
language: ru-RU
start: visit
safety:
  announce: { off: "a benchmark of the robot's turns" }
steps:
  visit:
    say: "Вы придёте на приём завтра?"
    listen: { yes: [], no: [] }
    no_input: { retries: 1, then: bye }
    no_match: { retries: 1, say: "Извините, не расслышала. Скажите да или нет.", then: named }
    on: { yes: named, no: named }
  named:
    say: "{patient.first_name}, вам удобно утром?"
    listen: { yes: [], no: [] }
    no_input: { retries: 1, then: bye }
    no_match: { retries: 1, say: "Извините, не расслышала. Утром удобно?", then: remind }
    on: { yes: remind, no: remind }
  remind:
    say: "Напомнить вам о приёме накануне?"
    listen: { yes: [], no: [] }
    no_input: { retries: 1, then: bye }
    no_match: { retries: 1, say: "Извините, не расслышала. Напомнить?", then: visit }
    on: { yes: visit, no: visit }
  bye:
    say: "До свидания."
    end: NO_ANSWER
`);
const MACHINE = compileScript(SCRIPT);

const YES = grammarPhrases(['yes'], 'ru');
const NO = grammarPhrases(['no'], 'ru');

interface Answer { text: string; intent: 'yes' | 'no'; pcm: Int16Array }

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** nearest rank */
const pct = (xs: number[], p: number) => (xs.length ? sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : Number.NaN);
const r0 = (x: number) => Math.round(x);
const r1 = (x: number) => Number(x.toFixed(1));
const r3 = (x: number) => Number(x.toFixed(3));


/** Leading and trailing near-silence cut off: the answer's last sample is the end of speech. */
function trim(pcm: Int16Array, threshold = 200): Int16Array {
  let a = 0;
  let b = pcm.length;
  while (a < b && Math.abs(pcm[a]!) < threshold) a++;
  while (b > a && Math.abs(pcm[b - 1]!) < threshold) b--;
  return pcm.slice(a, b);
}

function pad(pcm: Int16Array, beforeMs: number, afterMs: number): Int16Array {
  const out = new Int16Array((beforeMs + afterMs) * (RATE / 1000) + pcm.length);
  out.set(pcm, beforeMs * (RATE / 1000));
  return out;
}

/** Through the line's codec and back. */
const g711 = (pcm: Int16Array) => decodeUlaw(encodeUlaw(pcm));

async function speak(engine: VoiceEngine, text: string, voice: string): Promise<Int16Array> {
  const chunks: Int16Array[] = [];
  for await (const c of engine.synthesize(text, { voice, language: 'ru-RU', rate: 1 }, new AbortController().signal)) chunks.push(c.slice());
  return trim(concatPcm(chunks));
}

// ---------------------------------------------------------------- part 1: recogniser speed

async function asrSpeed(answers: Answer[] | null, figures: Figures): Promise<void> {
  const grammar = [...YES, ...NO];
  if (!answers) {
    figures['asr rtf: pocketsphinx'] = 'not measured: RHVoice (the answers\' voice) is not available';
  } else {
    let ps: Awaited<ReturnType<typeof startPocketsphinx>> | null = null;
    try {
      ps = await startPocketsphinx({ workers: 1 });
    } catch (err) {
      figures['asr rtf: pocketsphinx'] = `not available: ${(err as Error).message.slice(0, 120)}`;
    }
    if (ps) {
      try {
        const utterances = answers.map((a) => ({ ...a, pcm: g711(pad(a.pcm, PRE_MS, POST_MS)) }));
        await ps.recognize(utterances[0]!.pcm, { language: 'ru-RU', grammar }); // warm-up
        const ms: number[] = [];
        let audioS = 0;
        let right = 0;
        let none = 0;
        for (const u of utterances) {
          const t0 = performance.now();
          const r = await ps.recognize(u.pcm, { language: 'ru-RU', grammar });
          ms.push(performance.now() - t0);
          audioS += u.pcm.length / RATE;
          const heard = r.transcript === null ? null : YES.includes(r.transcript) ? 'yes' : NO.includes(r.transcript) ? 'no' : null;
          if (heard === u.intent) right++;
          if (r.transcript === null) none++;
        }
        figures['asr rtf: pocketsphinx'] = r3(ms.reduce((a, b) => a + b, 0) / 1000 / audioS);
        figures['asr decode ms per utterance: pocketsphinx'] = `p50 ${r0(pct(ms, 50))}, p95 ${r0(pct(ms, 95))} (${ms.length} utterances, mean ${r1(audioS / ms.length)} s with padding, ${grammar.length}-phrase yes/no grammar, 1 worker)`;
        figures['asr heard as the intent said: pocketsphinx'] = `${right} of ${utterances.length} (${none} no match)`;
      } finally {
        await ps.close();
      }
    }
  }

  // the modem voice: the same phrases as bursts, decoded frame by frame; passes for >= 0.5 s
  const bursts = [...YES, ...NO].map((t) => ({ text: t, pcm: pad(trim(modemSpeak(t)), PRE_MS, POST_MS) }));
  const pass = (): number => {
    let ok = 0;
    for (const b of bursts) {
      const l = new ModemListener();
      for (let at = 0; at < b.pcm.length; at += FRAME) for (const e of l.push(b.pcm.subarray(at, at + FRAME))) if (e.type === 'message' && e.text === b.text) ok++;
      for (const e of l.end()) if (e.type === 'message' && e.text === b.text) ok++;
    }
    return ok;
  };
  pass();
  const audioPerPass = bursts.reduce((n, b) => n + b.pcm.length, 0) / RATE;
  let passes = 0;
  let ok = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 500) {
    ok += pass();
    passes++;
  }
  const wall = (performance.now() - t0) / 1000;
  // a string: the figure is far below the 0.001 the bench runner's number format shows
  figures['asr rtf: modem'] = (wall / (passes * audioPerPass)).toPrecision(2);
  figures['asr decoded exactly: modem'] = `${ok} of ${passes * bursts.length}`;
}

// ---------------------------------------------------------------- part 2: turn latency

/** The callee's end of the line: a UDP socket that answers the robot's offer, sends with RtpSender, and timestamps what it receives. */
class WireCallee {
  /** arrival times of packets starting a talkspurt (marker bit): the start of each robot prompt */
  readonly talkspurts: number[] = [];
  readonly #socket: Socket;
  readonly #rtcp: Socket | null;
  readonly #sender: RtpSender;

  private constructor(socket: Socket, rtcp: Socket | null, sender: RtpSender, payloadType: number) {
    this.#socket = socket;
    this.#rtcp = rtcp;
    this.#sender = sender;
    socket.on('message', (buf) => {
      const t = performance.now();
      const p = parseRtp(buf);
      if (p && p.marker && p.payloadType === payloadType) this.talkspurts.push(t);
    });
  }

  static async answer(robot: MediaSession): Promise<WireCallee> {
    const socket = await bindRtpSocket('127.0.0.1', [40_000, 49_998]);
    const port = socket.address().port;
    // the robot's RTCP goes to port + 1
    const rtcp = await bindRtpSocket('127.0.0.1', port + 1).catch(() => null);
    rtcp?.on('message', () => {});
    const remote = parseSdpOffer(robot.offer());
    robot.answer(buildSdpAnswer({ address: '127.0.0.1', port, sessionId: 1, sessionVersion: 1, remote }));
    const sender = new RtpSender(socket, monotonicClock, { keepSending: true });
    sender.configure(remote);
    return new WireCallee(socket, rtcp, sender, remote.payloadType);
  }

  /** Plays `pcm`; resolves with when it was queued (it leaves within 20 ms) and when its last packet left (the end of speech). */
  async say(pcm: Int16Array): Promise<{ start: number; end: number }> {
    const start = performance.now();
    await this.#sender.play(pcm);
    return { start, end: performance.now() };
  }

  close(): void {
    this.#sender.close();
    this.#socket.close();
    this.#rtcp?.close();
  }
}

interface Marks {
  /** a final or no-match leaving the router, with its kind */
  results: { t: number; kind: 'final' | 'no-match'; confidence: number }[];
  /** TTS requests as the dialog makes them (to the cache) */
  asked: { t: number; first: number; fixed: boolean; text: string }[];
  /** TTS requests reaching the engine (through the router) */
  engine: { t: number; first: number }[];
  /** the robot's media handing the dialog a voiced frame */
  voiced: number[];
}

function timedAsr(inner: Asr, marks: Marks, opened: () => void): Asr {
  return {
    recognize(o) {
      const s = inner.recognize(o);
      opened();
      const stream: AsrStream = {
        write: (pcm) => s.write(pcm),
        end: () => s.end(),
        cancel: () => s.cancel(),
        async *events(): AsyncGenerator<AsrEvent> {
          for await (const e of s.events()) {
            if (e.type === 'final' || e.type === 'no-match') marks.results.push({ t: performance.now(), kind: e.type, confidence: e.confidence });
            yield e;
          }
        },
      };
      return stream;
    },
  };
}

function timedTts(inner: Tts, into: { t: number; first: number }[], extra: (req: SynthesizeRequest) => object = () => ({})): Tts {
  return {
    async *synthesize(req, signal) {
      const m = { t: performance.now(), first: Number.NaN, ...extra(req) };
      into.push(m);
      for await (const c of inner.synthesize(req, signal)) {
        if (Number.isNaN(m.first)) m.first = performance.now();
        yield c;
      }
    },
  };
}

interface Turn { total: number; asr: number; tts: number; own: number; cached: boolean; reply: string; media: number; server: number; dialog: number; synth: number; out: number }

interface ScenarioResult { turns: Turn[]; silent: number[]; answered: number; calls: number; prompts: number; hits: number; misses: number; wallS: number }

/**
 * One scenario: the app's speech engines from `speech` config, the callee answering with `answers`
 * in turn, until TURNS answers have had their reply (or SCENARIO_MAX_MS).
 */
async function scenario(speechCfg: { voices: string[]; recognizer: 'pocketsphinx' | 'none' }, answers: Int16Array[]): Promise<ScenarioResult> {
  const cfg = Config.parse({
    clinic: CLINIC,
    telephony: { kind: 'sim' },
    trunk: { from: '+78632000000' },
    speech: { kind: 'embedded', ...speechCfg },
    log: { level: 'silent' },
  });
  const speech = await startSpeech(cfg.speech, silentLogger);
  const missing = speech.describe.join('; ').match(/(\S+): not available \(([^)]{0,120})/);
  if (missing) {
    await speech.close();
    throw new Error(`${missing[1]} not available: ${missing[2]}`);
  }
  const marks: Marks = { results: [], asked: [], engine: [], voiced: [] };
  const robot = await createRtpMediaFactory({ host: cfg.media.host, sourceLock: cfg.media.sourceLock, timeoutMs: cfg.media.timeoutMs }).allocate();
  const callee = await WireCallee.answer(robot);
  const said: { start: number; end: number }[] = [];
  const t0 = performance.now();
  let next = 0;
  let run: DialogRun | null = null;
  let speaking: Promise<void> = Promise.resolve();
  const enough = () => said.length >= TURNS || performance.now() - t0 > SCENARIO_MAX_MS;
  // the callee answers each listen; once enough answers have had their reply, the robot is stopped
  const asr = timedAsr(speech.router.asr!, marks, () => {
    if (enough()) {
      setImmediate(() => run?.stop());
      return;
    }
    const pcm = answers[next++ % answers.length]!;
    speaking = new Promise((resolve) => setTimeout(resolve, REACTION_MS)).then(() => callee.say(pcm)).then((t) => void said.push(t));
  });
  const cache = cachingTts(timedTts(speech.router.tts!, marks.engine));
  const tts = timedTts(cache, marks.asked, (req) => ({ fixed: req.fixed === true, text: req.text }));
  const offVoiced = robot.on('audio', (pcm) => {
    let peak = 0;
    for (let i = 0; i < pcm.length; i++) peak = Math.max(peak, Math.abs(pcm[i]!));
    if (peak >= 300) marks.voiced.push(performance.now());
  });
  let calls = 0;
  // a dialog stuck in a listen is stopped too (a listen waits up to 15 s for an utterance to end)
  const cap = setTimeout(() => run?.stop(), SCENARIO_MAX_MS + 20_000);
  try {
    // as warmPrompts does when a campaign starts
    const warm = await cache.warm(fixedPrompts(SCRIPT, CLINIC).map((text) => ({ text, language: SCRIPT.language })));
    if (warm.failed.length) throw new Error(`fixed prompts not rendered: ${warm.failed.join('; ')}`);
    marks.engine.length = 0;
    const deps: DialogDeps = {
      audio: robot, tts, asr, clock: systemClock, vad: () => new Vad(),
      slots: { offer: async () => [], book: async () => 'taken', visit: async () => null, confirmVisit: async () => 'gone', cancelVisit: async () => 'gone', moveVisit: async () => 'gone' },
      operators: { handoff: async () => 'unavailable' },
    };
    while (!enough()) {
      calls++;
      run = new DialogRun(SCRIPT, { callId: `bench-${calls}`, patient: { firstName: 'Анна', middleName: 'Петровна', lastName: 'Иванова' }, clinic: CLINIC }, deps, MACHINE);
      const result = await run.run();
      if (result.endedBy === 'error') throw new Error(`dialog failed: ${String((result.error as Error)?.message ?? result.error)}`);
      await speaking;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    clearTimeout(cap);
    offVoiced();
    callee.close();
    robot.close();
    await speech.close();
  }
  const wallS = (performance.now() - t0) / 1000;
  if (process.env.SPEECH_TURN_TIMELINE) {
    const ev = [
      ...said.flatMap((t) => [[t.start, 'callee starts'] as const, [t.end, 'callee end of speech'] as const]),
      ...marks.results.map((r) => [r.t, `result ${r.kind} ${r.confidence.toFixed(2)}`] as const),
      ...marks.asked.map((a) => [a.t, `tts asked: ${a.text.slice(0, 30)} (first chunk +${(a.first - a.t).toFixed(0)})`] as const),
      ...callee.talkspurts.map((t) => [t, 'robot talkspurt starts'] as const),
    ].sort((a, b) => a[0] - b[0]);
    for (const [t, what] of ev) process.stderr.write(`${(t - t0).toFixed(0).padStart(7)} ${what}\n`);
  }
  const stats = cache.stats();

  const turns: Turn[] = [];
  /** answers the recogniser gave no result for: the reply's delay after their end of speech */
  const silent: number[] = [];
  for (const { start, end: e } of said) {
    // the robot is silent while it listens, so its next prompt is the reply; with the modem voice
    // it can start before the burst's last packet (the message is whole before its closing flag)
    const reply = callee.talkspurts.find((t) => t > start);
    if (reply === undefined) continue;
    const result = marks.results.find((r) => r.t > start && r.t < reply);
    if (!result) {
      silent.push(reply - e);
      continue;
    }
    const asked = marks.asked.find((a) => a.t >= result.t && a.t < reply);
    if (!asked) continue;
    const engine = marks.engine.find((x) => x.t >= asked.t && x.t < reply);
    const voiced = marks.voiced.filter((t) => t > start && t <= result.t).at(-1) ?? Number.NaN;
    const total = reply - e;
    const asrMs = result.t - e;
    const ttsMs = engine ? engine.first - engine.t : 0;
    const kind = asked.text.startsWith('Вы сказали') ? 'confirmations' : asked.text.startsWith('Извините') ? 're-prompts' : asked.text.startsWith('До свидания') ? 'goodbyes' : 'next questions';
    turns.push({
      total, asr: asrMs, tts: ttsMs, own: total - asrMs - ttsMs, cached: !engine, reply: kind,
      media: voiced - e, server: result.t - voiced, dialog: asked.t - result.t, synth: asked.first - asked.t, out: reply - asked.first,
    });
  }
  return { turns, silent, answered: said.length, calls, prompts: marks.asked.length, hits: stats.hits, misses: stats.misses, wallS };
}

/** Answers heard as nothing: the listen runs on until its silence timeout or, once speech started, its 15 s cap (hear.ts). */
function silentNote(delays: number[]): string {
  if (!delays.length) return 'every answer had a recogniser result';
  return `${delays.length} answer(s) had no recogniser result and are left out (the robot's next prompt came ${delays.map((d) => (d / 1000).toFixed(1)).join(', ')} s after their end of speech)`;
}

/** the issue's line, `turn latency: p50 A ms, p95 B ms (own overhead C ms)` */
const turnLine = (ts: Turn[]): string => {
  const total = ts.map((t) => t.total);
  return `p50 ${r0(pct(total, 50))} ms, p95 ${r0(pct(total, 95))} ms (own overhead ${r0(pct(ts.map((t) => t.own), 50))} ms)`;
};

function report(label: string, r: ScenarioResult, figures: Figures): void {
  const line = (ts: Turn[]) => {
    const own = ts.map((t) => t.own);
    return `${turnLine(ts)}, own overhead p95 ${r0(pct(own, 95))}, max ${r0(Math.max(...own))} ms, over ${ts.length} turns`;
  };
  const ts = r.turns;
  if (!ts.length) {
    figures[label.startsWith('(b)') ? 'turn latency:' : `turn latency, ${label}:`] = `no turn measured (${r.answered} answers, ${r.silent.length} without a result)`;
    return;
  }
  // the issue's line, `turn latency: p50 A ms, p95 B ms (own overhead C ms)`, is the natural
  // engines' (RHVoice and pocketsphinx); the modem voice's is printed under its own name
  figures[label.startsWith('(b)') ? 'turn latency:' : `turn latency, ${label}:`] = `${line(ts)}${label.startsWith('(b)') ? ` (${label})` : ''}`;
  const total95 = pct(ts.map((t) => t.total), 95);
  const own95 = pct(ts.map((t) => t.own), 95);
  figures[`turn latency vs target: ${label}`] = `p95 ${r3(total95 / TARGET_P95_MS)} of ${TARGET_P95_MS} ms, own overhead p95 ${r3(own95 / TARGET_OWN_MS)} of ${TARGET_OWN_MS} ms`;
  const cached = ts.filter((t) => t.cached);
  const live = ts.filter((t) => !t.cached);
  if (cached.length) figures[`  replies from the TTS cache (fixed prompts): ${label}`] = line(cached);
  if (live.length) figures[`  replies synthesised live: ${label}`] = `${line(live)}; synthesiser first chunk p50 ${r0(pct(live.map((t) => t.tts), 50))} ms`;
  const med = (k: keyof Turn) => r0(pct(ts.map((t) => t[k] as number), 50));
  figures[`  breakdown, medians: ${label}`] =
    `media in ${med('media')} + speech server ${med('server')} + dialog ${med('dialog')} + TTS ${med('synth')} + media out ${med('out')} ms; recogniser ${med('asr')} ms`;
  const worst = ts.reduce((a, b) => (b.own > a.own ? b : a));
  figures[`  largest own overhead: ${label}`] =
    `${r0(worst.own)} ms of a ${r0(worst.total)} ms turn (${worst.cached ? 'cached' : 'live'} reply): dialog ${r0(worst.dialog)}, TTS ${r0(worst.synth)} (engine ${r0(worst.tts)}), media out ${r0(worst.out)} ms`;
  const kinds = new Map<string, number>();
  for (const t of ts) kinds.set(t.reply, (kinds.get(t.reply) ?? 0) + 1);
  figures[`  replies: ${label}`] =
    `${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; ${silentNote(r.silent)}; ${r.calls} dialog run(s), ${r.wallS.toFixed(0)} s; cache ${r.hits} hits, ${r.misses} misses`;
}

export async function benchSpeechTurn(): Promise<{ name: string; figures: Figures; lines: string[] }> {
  const figures: Figures = {};
  figures['load average at start (1, 5, 15 min)'] = loadavg().map((x) => x.toFixed(2)).join(', ');

  // the callee's answers, spoken by RHVoice: every yes and no phrase, voices in turn
  let answers: Answer[] | null = null;
  let rhvoice: VoiceEngine | null = null;
  try {
    rhvoice = await startRhvoice({ driver: 'library', workers: 1, preload: CALLEE_VOICES });
    const phrases = [...YES.map((text) => ({ text, intent: 'yes' as const })), ...NO.map((text) => ({ text, intent: 'no' as const }))];
    answers = [];
    for (const [i, p] of phrases.entries()) answers.push({ ...p, pcm: await speak(rhvoice, p.text, CALLEE_VOICES[i % CALLEE_VOICES.length]!) });
  } catch (err) {
    figures['callee voice'] = `RHVoice not available: ${(err as Error).message.slice(0, 120)}`;
  } finally {
    await rhvoice?.close();
  }

  if (wanted('asr')) await asrSpeed(answers, figures);

  // (a) the modem voice both ways: exact and fast, so what is left is zvonar's own
  const modemAnswers = [...YES, ...NO].map((t) => trim(modemSpeak(t)));
  if (wanted('a')) report('(a) modem voice both ways', await scenario({ voices: ['modem'], recognizer: 'none' }, modemAnswers), figures);

  let natural: Turn[] | null = null;
  // (b) a natural turn: RHVoice speaks the robot, pocketsphinx hears the callee (spoken by RHVoice);
  // answers shuffled (seeded) so yes and no alternate irregularly
  if (!wanted('b')) {
    // not asked for
  } else if (answers) {
    const shuffled = [...answers];
    let seed = 7;
    for (let i = shuffled.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    try {
      const r = await scenario({ voices: ['rhvoice', 'espeak-ng', 'modem'], recognizer: 'pocketsphinx' }, shuffled.map((a) => a.pcm));
      report('(b) RHVoice reply, pocketsphinx answer', r, figures);
      natural = r.turns;
    } catch (err) {
      figures['turn latency: (b) RHVoice reply, pocketsphinx answer'] = `not measured: ${(err as Error).message.slice(0, 160)}`;
    }
  } else {
    figures['turn latency: (b) RHVoice reply, pocketsphinx answer'] = 'not measured: RHVoice is not available';
  }
  figures['load average at end (1, 5, 15 min)'] = loadavg().map((x) => x.toFixed(2)).join(', ');
  // the lines the issue names, exactly (the figures above say how each was measured)
  const lines = ['pocketsphinx', 'modem'].flatMap((e) => {
    const v = figures[`asr rtf: ${e}`];
    return typeof v === 'number' || /^[\d.e-]+$/.test(String(v)) ? [`asr rtf: ${e} ${v}`] : [];
  });
  if (natural?.length) lines.push(`turn latency: ${turnLine(natural)}`);
  return { name: 'Speech turns: recognisers\' real-time factor; callee end of speech -> first RTP packet of the reply', figures, lines };
}
