import { CallFailedError, maskPhone } from '../core/index.js';
import type { MediaFactory, MediaSession } from '../media/index.js';
import { ModemListener, modemSpeak } from '../speech/index.js';
import { LegStateMachine, type CallControl, type CallLeg, type LegEvents, type OriginateRequest } from '../telephony/index.js';
import { PERSONAS, type Persona, type PersonaName } from './personas.js';
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
}

const MAX_RECORDS = 1000;

/**
 * A telephone network in-process: the CallControl port with personas instead of phones.
 * Signalling is simulated; media is not: every answered callee has its own UDP RTP endpoint,
 * hears the robot through G.711 and answers in the modem voice.
 */
export class SimNetwork implements CallControl {
  readonly calls: SimCallRecord[] = [];
  readonly #opts: Required<SimNetworkOptions>;
  readonly #open = new Set<SimCallee>();

  constructor(opts: SimNetworkOptions) {
    this.#opts = { answerDelayMs: 300, thinkMs: 250, ...opts };
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
    const callee = new SimCallee(persona, media, record, this.#opts.thinkMs, () => {
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

/** The person on the other end: hears the robot's utterances and replies to its questions. */
class SimCallee {
  readonly #media: MediaSession;
  readonly #listener = new ModemListener();
  #replies: string[] | null = null;
  readonly #persona: Persona;
  readonly #record: SimCallRecord;
  readonly #hangUp: () => void;
  readonly #thinkMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(persona: Persona, media: MediaSession, record: SimCallRecord, thinkMs: number, hangUp: () => void) {
    this.#persona = persona;
    this.#media = media;
    this.#record = record;
    this.#hangUp = hangUp;
    this.#thinkMs = thinkMs;
    media.on('audio', (pcm) => {
      for (const ev of this.#listener.push(pcm)) if (ev.type === 'message') this.#heard(ev.text);
    });
    if (persona.greeting) {
      const greeting = persona.greeting;
      this.#timer = setTimeout(() => {
        if (this.#closed) return;
        this.#record.said.push(greeting);
        void this.#media.play(modemSpeak(greeting));
      }, 200);
    }
  }

  #heard(text: string): void {
    this.#record.heard.push(text);
    if (this.#persona.hangUpAfter !== undefined && this.#record.heard.length >= this.#persona.hangUpAfter) {
      this.close();
      this.#hangUp();
      return;
    }
    // The first words heard tell the language of the call (a Russian name in an English greeting does not).
    this.#replies ??= [...(this.#persona.replies?.[languageOf(text)] ?? [])];
    const over = this.#persona.interrupts?.[languageOf(text)][0];
    if (over && this.#record.heard.length === 1) {
      // talks over what the robot says next
      this.#timer = setTimeout(() => {
        if (this.#closed) return;
        this.#record.said.push(over);
        void this.#media.play(modemSpeak(over));
      }, this.#thinkMs);
      return;
    }
    if (!text.trim().endsWith('?')) return;
    // Out of replies, a person repeats the last one ("the first, I said").
    const reply = this.#replies.length > 1 ? this.#replies.shift() : this.#replies[0];
    if (reply === undefined) return;
    this.#timer = setTimeout(() => {
      if (this.#closed) return;
      this.#record.said.push(reply);
      void this.#media.play(modemSpeak(reply));
    }, this.#thinkMs);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#media.close();
  }
}

function languageOf(text: string): 'ru' | 'en' {
  const cyrillic = text.match(/[\u0400-\u04FF]/g)?.length ?? 0;
  const latin = text.match(/[A-Za-z]/g)?.length ?? 0;
  return cyrillic >= latin ? 'ru' : 'en';
}
