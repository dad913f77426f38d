import { CallFailedError, maskPhone } from '../core/index.js';
import { Vad, type MediaFactory, type MediaSession } from '../media/index.js';
import { ModemListener, modemSpeak } from '../speech/index.js';
import { LegStateMachine, type CallControl, type CallLeg, type LegEvents, type OriginateRequest } from '../telephony/index.js';
import { PERSONAS, type Language, type Persona, type PersonaName } from './personas.js';
import type { SimCallRecord } from './sim-call-record.js';

export interface SimNetworkOptions {
  /** who answers a number; unknown numbers get 404 */
  personaOf(phone: string): PersonaName | undefined;
  /** gives each simulated phone its own RTP endpoint (real UDP) */
  media: MediaFactory;
  /** ms of ringing before a persona answers or rejects */
  answerDelayMs?: number;
  /** ms a person takes to reply after a question */
  thinkMs?: number;
  /**
   * For a voice that is not the modem voice: how long the robot must stay silent after speaking
   * (from its last voiced frame) for what it said to count as a question, its listen step. Default
   * 1000 ms. Measured on the demo with RHVoice: pauses between sentences of one prompt up to 340 ms,
   * between one prompt and the next (the next being synthesised) up to 520 ms; a listen waits
   * seconds (the script's silenceMs).
   */
  turnSilenceMs?: number;
  /**
   * The language callees reply in when they hear a voice they cannot decode (any but the modem
   * voice, whose text tells its language): one for every call, or per number. Default 'ru'.
   * Not a persona's: a persona is how a person behaves, and the same one answers Russian and
   * English scripts. The network cannot see the script, so whoever builds it and knows the
   * campaign's script (its `language`) says which.
   */
  language?: Language | ((phone: string) => Language | undefined);
}

const MAX_RECORDS = 1000;

/**
 * A telephone network in-process: the CallControl port with personas instead of phones.
 * Signalling is simulated; media is not: every answered callee has its own UDP RTP endpoint,
 * hears the robot through G.711 and answers in the modem voice. It understands the robot when the
 * robot speaks the modem voice, and otherwise takes turns by voice activity (see SimCallee).
 */
export class SimNetwork implements CallControl {
  readonly calls: SimCallRecord[] = [];
  readonly #opts: Required<SimNetworkOptions>;
  readonly #open = new Set<SimCallee>();

  constructor(opts: SimNetworkOptions) {
    this.#opts = { answerDelayMs: 300, thinkMs: 250, turnSilenceMs: 1000, language: 'ru', ...opts };
  }

  async originate(req: OriginateRequest, on: LegEvents, signal: AbortSignal): Promise<CallLeg> {
    const name = this.#opts.personaOf(req.to);
    const persona: Persona | undefined = name ? PERSONAS[name] : undefined;
    const record: SimCallRecord = { callId: req.callId, to: maskPhone(req.to), persona: name, heard: [], said: [], outcome: 'rejected', endedBy: null };
    this.calls.push(record);
    if (this.calls.length > MAX_RECORDS) this.calls.splice(0, this.calls.length - MAX_RECORDS); // a long `zvonar run` keeps the latest
    const leg = new LegStateMachine(req.callId);
    await this.#ring(signal, on, leg, record, persona);
    if (!persona || persona.rejectWith) {
      leg.to('ended');
      throw new CallFailedError(persona?.rejectWith ?? 404, persona ? 'rejected by the callee' : 'no such number', { callId: req.callId });
    }
    const media = await this.#opts.media.allocate();
    let sdpAnswer: string;
    try {
      sdpAnswer = persona.sdpAnswer ?? media.accept(req.sdpOffer);
    } catch (err) {
      media.close();
      leg.to('ended');
      throw new CallFailedError(488, 'not acceptable here', { callId: req.callId }, { cause: err });
    }
    leg.to('answered');
    record.outcome = 'answered';
    const { language, thinkMs, turnSilenceMs } = this.#opts;
    const callLanguage = (typeof language === 'function' ? language(req.to) : language) ?? 'ru';
    const callee = new SimCallee(persona, media, record, { thinkMs, turnSilenceMs, language: callLanguage }, () => {
      if (leg.tryTo('ended')) {
        record.endedBy = 'callee';
        this.#open.delete(callee);
        on.hangup({ by: 'callee' });
      }
    });
    this.#open.add(callee);
    return {
      callId: req.callId,
      sdpAnswer,
      get state() {
        return leg.state;
      },
      hangup: async () => {
        if (!leg.tryTo('ending')) return;
        record.endedBy = 'robot';
        callee.close();
        this.#open.delete(callee);
        leg.to('ended');
      },
    };
  }

  /** Rings for answerDelayMs (or until the caller cancels, for a persona that never answers). */
  #ring(signal: AbortSignal, on: LegEvents, leg: LegStateMachine, record: SimCallRecord, persona: Persona | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cancelled = () => {
        clearTimeout(timer);
        record.outcome = 'cancelled';
        leg.tryTo('ended');
        reject(new CallFailedError(487, 'request terminated (CANCEL)', { callId: record.callId }));
      };
      if (signal.aborted) return cancelled();
      if (persona && !persona.rejectWith) {
        leg.to('ringing');
        on.ringing?.();
      }
      const timer = persona?.neverAnswers ? undefined : setTimeout(() => {
        signal.removeEventListener('abort', cancelled);
        resolve();
      }, this.#opts.answerDelayMs);
      signal.addEventListener('abort', cancelled, { once: true });
    });
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    for (const c of this.#open) c.close();
    this.#open.clear();
  }
}


/** No audio frame for this long: the robot's stream paused (RTP talkspurts: it sends nothing between prompts). */
const STREAM_PAUSE_MS = 100;
const FRAME_MS = 20;
/**
 * Carrier this long in an utterance (or a message decoded in it) makes it the modem voice, heard
 * through its text: 100 ms is less than the shortest burst (0.19 s of framing, bell202.ts) and
 * more than the 5 ms the carrier detector needs (speech reads as 0.05 tone share, far below it).
 */
const MODEM_CARRIER_SAMPLES = 800;
/** see SimCallee */
const VAD_HANGOVER_MS = 400;

/**
 * The person on the other end: hears the robot's utterances and replies to its questions.
 *
 * Two ways of hearing, on the same audio. The modem voice is decoded to its text: an utterance
 * ending in "?" is a question, and the text tells the language. Any other voice (a natural TTS)
 * cannot be understood, so turns are taken as people take them on a phone: a voice activity
 * detector finds where the robot's speech ends, and if the robot then stays silent for
 * turnSilenceMs (1 s: it is listening), that utterance was a question and the next reply is given
 * at once, the think time spent waiting (or after it, if it is longer); if the robot speaks again
 * first (a statement, then its prompt), it was not. The VAD's hangover (400 ms) keeps the sentences
 * of one prompt together (their pauses: up to 340 ms with RHVoice) and parts prompts (500 ms and
 * more apart); a longer pause inside a prompt makes two utterances. Such utterances are recorded as
 * "(robot speech, 2.4 s)" and counted like decoded ones (hangUpAfter, interrupts); their language
 * is the call's (SimNetworkOptions.language). Replies are always in the modem voice.
 */
class SimCallee {
  readonly #media: MediaSession;
  readonly #listener = new ModemListener();
  readonly #vad = new Vad({ hangoverMs: VAD_HANGOVER_MS });
  readonly #silence = new Int16Array(160);
  #replies: string[] | null = null;
  readonly #persona: Persona;
  readonly #record: SimCallRecord;
  readonly #hangUp: () => void;
  readonly #thinkMs: number;
  /** after the VAD ends an utterance: the rest of turnSilenceMs, or the think time if longer */
  readonly #turnWaitMs: number;
  readonly #language: Language;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** in the current utterance: a modem message was decoded, or carrier was heard long enough */
  #modem = false;
  /** where the current carrier began (listener samples); null: none */
  #carrierAt: number | null = null;
  /** wall-clock ms up to which the VAD has heard the robot's audio, real or, once the stream paused, silence */
  #heardUntil = 0;
  #pause: ReturnType<typeof setTimeout> | undefined;
  /** the wait after a VAD-heard utterance: it fires if the robot stays silent (a question) */
  #turn: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(persona: Persona, media: MediaSession, record: SimCallRecord, o: { thinkMs: number; turnSilenceMs: number; language: Language }, hangUp: () => void) {
    this.#persona = persona;
    this.#media = media;
    this.#record = record;
    this.#hangUp = hangUp;
    this.#thinkMs = o.thinkMs;
    this.#turnWaitMs = Math.max(o.turnSilenceMs - VAD_HANGOVER_MS, o.thinkMs);
    this.#language = o.language;
    media.on('audio', (pcm) => this.#audio(pcm));
    if (persona.greeting) {
      const greeting = persona.greeting;
      this.#after(200, () => this.#say(greeting));
    }
  }

  #audio(pcm: Int16Array): void {
    if (this.#closed) return;
    for (const ev of this.#listener.push(pcm)) {
      if (ev.type === 'message') {
        this.#modem = true;
        this.#heard(ev.text);
        if (this.#closed) return;
      } else if (ev.type === 'carrier') {
        this.#carrierAt = ev.atSample;
      } else {
        if (this.#carrierAt !== null && ev.atSample - this.#carrierAt >= MODEM_CARRIER_SAMPLES) this.#modem = true;
        this.#carrierAt = null;
      }
    }
    this.#heardUntil = Date.now();
    this.#listen(pcm);
    clearTimeout(this.#pause);
    this.#pause = setTimeout(() => this.#streamPaused(), STREAM_PAUSE_MS);
  }

  /** One frame to the VAD: where the robot's speech starts and ends. */
  #listen(pcm: Int16Array): void {
    const ev = this.#vad.push(pcm);
    if (ev?.type === 'start') {
      // the robot speaks again before the think time ran out: what it said last was no question
      clearTimeout(this.#turn);
      this.#turn = undefined;
      // what is known of the modem voice starts afresh with the utterance (a carrier under way is kept)
      this.#modem = false;
    } else if (ev?.type === 'end') {
      this.#spoke(ev.speechMs);
    }
  }

  /**
   * No frame came for a while: the robot's stream paused, as RTP does between talkspurts (the
   * receiver fills the gap with silence only when the next packet comes). The time is heard as
   * silence, 20 ms at a time, until the VAD has ended the utterance.
   */
  #streamPaused(): void {
    if (this.#closed) return;
    const frames = Math.floor((Date.now() - this.#heardUntil) / FRAME_MS);
    for (let i = 0; i < frames && this.#vad.speaking && !this.#closed; i++) {
      this.#heardUntil += FRAME_MS;
      this.#listen(this.#silence);
    }
    if (this.#vad.speaking && !this.#closed) this.#pause = setTimeout(() => this.#streamPaused(), FRAME_MS);
  }

  /** The VAD heard an utterance end. The modem voice's were heard through their text. */
  #spoke(speechMs: number): void {
    const modem = this.#modem || (this.#carrierAt !== null && this.#listener.samples - this.#carrierAt >= MODEM_CARRIER_SAMPLES);
    this.#modem = false;
    if (modem) return;
    if (!this.#utterance(`(robot speech, ${(speechMs / 1000).toFixed(1)} s)`, this.#language)) return;
    clearTimeout(this.#turn);
    this.#turn = this.#after(this.#turnWaitMs, () => {
      this.#turn = undefined;
      this.#say(this.#nextReply());
    });
  }

  /** A decoded modem-voice utterance: a question ends in "?", and its words tell the language. */
  #heard(text: string): void {
    // The first words heard tell the language of the call (a Russian name in an English greeting does not).
    if (!this.#utterance(text, languageOf(text))) return;
    if (!text.trim().endsWith('?')) return;
    const reply = this.#nextReply();
    this.#after(this.#thinkMs, () => this.#say(reply));
  }

  /**
   * Counts an utterance heard, however it was heard. False when nothing more follows from it:
   * the callee hung up, or talks over what the robot says next.
   */
  #utterance(text: string, language: Language): boolean {
    this.#record.heard.push(text);
    if (this.#persona.presses && this.#record.heard.length === 1) {
      const key = this.#persona.presses;
      this.#after(this.#thinkMs, () => {
        this.#record.said.push(`(pressed ${key})`);
        void this.#media.sendDtmf(key).catch(() => false);
      });
    }
    if (this.#persona.hangUpAfter !== undefined && this.#record.heard.length >= this.#persona.hangUpAfter) {
      this.close();
      this.#hangUp();
      return false;
    }
    this.#replies ??= [...(this.#persona.replies?.[language] ?? [])];
    const over = this.#persona.interrupts?.[language][0];
    if (over && this.#record.heard.length === 1) {
      // talks over what the robot says next
      this.#after(this.#thinkMs, () => this.#say(over));
      return false;
    }
    return true;
  }

  /** Out of replies, a person repeats the last one ("the first, I said"); none: stays silent. */
  #nextReply(): string | undefined {
    const replies = this.#replies ?? [];
    return replies.length > 1 ? replies.shift() : replies[0];
  }

  #say(text: string | undefined): void {
    if (this.#closed || text === undefined) return;
    this.#record.said.push(text);
    void this.#media.play(modemSpeak(text));
  }

  #after(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#closed) fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    clearTimeout(this.#pause);
    this.#media.close();
  }
}

function languageOf(text: string): Language {
  const cyrillic = text.match(/[\u0400-\u04FF]/g)?.length ?? 0;
  const latin = text.match(/[A-Za-z]/g)?.length ?? 0;
  return cyrillic >= latin ? 'ru' : 'en';
}
