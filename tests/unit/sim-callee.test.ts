import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaSession } from '../../src/media/index.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import type { PersonaName } from '../../src/sim/index.js';
import { ModemListener, modemSpeak } from '../../src/speech/index.js';
import { syntheticVoice } from '../support/synthetic-voice.js';

/**
 * The simulated callee's two ways of hearing the robot: the modem voice, decoded to its text, and
 * any other voice, where it takes turns by voice activity. Media is a stand-in here (audio frames
 * are pushed by the test, what the callee plays is kept), and time is vitest's fake clock: each
 * pushed frame advances it 20 ms, as RTP frames come.
 */

const FRAME = 160;

const voice = syntheticVoice;

/** What the far end of a simulated call hears, and what it is sent. */
class FakeMedia {
  readonly played: Int16Array[] = [];
  readonly #audio: ((pcm: Int16Array) => void)[] = [];
  closed = false;
  accept(): string {
    return 'v=0\r\n';
  }
  on(event: string, fn: (pcm: Int16Array) => void): () => void {
    if (event === 'audio') this.#audio.push(fn);
    return () => {};
  }
  play(pcm: Int16Array): Promise<boolean> {
    this.played.push(pcm);
    return Promise.resolve(true);
  }
  close(): void {
    this.closed = true;
  }
  /** Sends pcm as 20 ms frames, one per 20 ms of fake time. */
  send(pcm: Int16Array): void {
    for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
      if (this.closed) return;
      const frame = pcm.slice(i, i + FRAME);
      for (const fn of this.#audio) fn(frame);
      vi.advanceTimersByTime(20);
    }
  }
  /** The robot's stream pauses (RTP talkspurts: nothing is sent between prompts). */
  pause(ms: number): void {
    vi.advanceTimersByTime(ms);
  }
  /** What the callee said, decoded from the modem voice it said it in. */
  decoded(): string[] {
    const l = new ModemListener();
    const out: string[] = [];
    for (const pcm of this.played) for (const ev of l.push(pcm)) if (ev.type === 'message') out.push(ev.text);
    return out;
  }
}

async function answer(persona: PersonaName, opts: { language?: 'ru' | 'en' } = {}) {
  const media = new FakeMedia();
  const net = new SimNetwork({
    personaOf: () => persona, media: { allocate: async () => media as unknown as MediaSession }, answerDelayMs: 0, thinkMs: 250, ...opts,
  });
  const hangups: string[] = [];
  const calling = net.originate({ callId: 'c1', to: '+79000000001', from: '+78632000000', sdpOffer: 'v=0\r\n' }, {
    hangup: ({ by }) => hangups.push(by),
  }, new AbortController().signal);
  await vi.advanceTimersByTimeAsync(0);
  await calling;
  return { media, record: net.calls[0]!, hangups };
}

describe('SimCallee hearing a voice it cannot decode', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('replies once the robot has stayed silent for turnSilenceMs (1 s), and not before', async () => {
    const { media, record } = await answer('agree');
    media.send(voice(1500));
    media.pause(900);
    expect(record.said).toEqual([]);
    expect(record.heard).toEqual([expect.stringMatching(/^\(robot speech, 1\.[45] s\)$/)]);
    media.pause(150);
    expect(record.said).toEqual(['Да, запишите, пожалуйста']);
    // replies are still the modem voice: the server decodes them exactly
    expect(media.decoded()).toEqual(['Да, запишите, пожалуйста']);
  });

  it('does not reply between a statement and the prompt that follows it after a short gap', async () => {
    const { media, record } = await answer('agree');
    media.send(voice(1200)); // the greeting
    media.pause(700); // the next prompt is synthesised: longer than the VAD's hangover (400 ms), shorter than turnSilenceMs
    media.send(voice(1000)); // the question
    expect(record.heard).toHaveLength(1);
    expect(record.said).toEqual([]);
    media.pause(1200);
    expect(record.heard).toHaveLength(2);
    expect(record.said).toEqual(['Да, запишите, пожалуйста']);
    // the next question gets the next reply
    media.send(voice(800));
    media.pause(1200);
    expect(record.said).toEqual(['Да, запишите, пожалуйста', 'Первое']);
  });

  it('hangs up once it has heard hangUpAfter utterances, at the end of the last', async () => {
    const { media, record, hangups } = await answer('hang-up'); // hangUpAfter: 1
    media.send(voice(1500));
    expect(hangups).toEqual([]);
    media.pause(600);
    expect(hangups).toEqual(['callee']);
    expect(record).toMatchObject({ endedBy: 'callee', said: [] });
    expect(record.heard).toHaveLength(1);
    expect(media.closed).toBe(true);
  });

  it('talks over what follows the first utterance (interrupts), then answers the next question', async () => {
    const { media, record } = await answer('talks-over');
    media.send(voice(1000));
    media.pause(700); // hangover and think time: the callee starts talking
    media.send(voice(600)); // the robot goes on; the callee talks over it
    expect(record.said).toEqual(['Да, да, конечно, запишите меня, пожалуйста, на приём к врачу']);
    media.pause(1200);
    expect(record.said.at(-1)).toBe('Первое');
  });

  it('replies in the language it is told for the call', async () => {
    const { media, record } = await answer('agree', { language: 'en' });
    media.send(voice(1000));
    media.pause(1200);
    expect(record.said).toEqual(['Yes, please book me']);
  });

  it('hears a long modem-voice utterance once, by its text, though the VAD\'s floor catches up with it before it ends', async () => {
    const { media, record } = await answer('agree');
    const long = `${'Приглашаем вас пройти бесплатную диспансеризацию. '.repeat(6)}Записать вас?`; // ~6 s of FSK
    media.send(modemSpeak(long));
    media.pause(1000);
    expect(record.heard).toEqual([long]);
    expect(record.said).toEqual(['Да, запишите, пожалуйста']);
  });

  it('still hears the modem voice by its text: no placeholder, and a statement gets no reply', async () => {
    const { media, record } = await answer('agree');
    media.send(modemSpeak('Здравствуйте, Анна Петровна!'));
    media.pause(1000); // silence after a statement: the text, not the silence, says it was no question
    expect(record.heard).toEqual(['Здравствуйте, Анна Петровна!']);
    expect(record.said).toEqual([]);
    media.send(modemSpeak('Записать вас на приём?'));
    media.pause(1000);
    expect(record.heard).toEqual(['Здравствуйте, Анна Петровна!', 'Записать вас на приём?']);
    expect(record.said).toEqual(['Да, запишите, пожалуйста']);
  });
});
