import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSpeech, type SpeechConnection } from '../../src/speech/adapters/grpc/index.js';
import { watchSpeechCapacity } from '../../src/speech/capacity.js';
import { startRhvoice, startSpeechServer, textPreparer, type SpeechServer, type VoiceEngine } from '../../src/speech/server/index.js';

/**
 * The engine's backlog through the contract (HealthStatus.backlog_ms) and the dialer's gate on it,
 * with real RHVoice (one worker process, so a burst queues) behind the reference server over gRPC
 * on 127.0.0.1. A burst of greetings, each with a patient's name so none is kept, is what a
 * campaign's first seconds send: the streams are far below the declared limit, but the voice
 * cannot keep up, and no call may start until it has.
 */
const HAVE_RHVOICE = spawnSync('RHVoice-test', ['--version']).status !== null;

describe.skipIf(!HAVE_RHVOICE)('speech backlog: RHVoice behind the reference server', () => {
  let rhvoice: VoiceEngine;
  let server: SpeechServer;
  let speech: SpeechConnection;
  beforeAll(async () => {
    rhvoice = await startRhvoice({ workers: 1 });
    server = await startSpeechServer({ voices: [rhvoice], prepare: textPreparer(), defaultVoices: { 'ru-RU': 'anna' }, maxStreams: 1000 });
    speech = connectSpeech(server.address);
  }, 60_000);
  afterAll(async () => {
    speech?.close();
    await server?.close();
    await rhvoice?.close();
  });

  /** a prompt read whole, as a call plays it: when its first audio came, ms after asking */
  async function firstAudioMs(text: string): Promise<number> {
    const t0 = performance.now();
    let first: number | null = null;
    for await (const _ of speech.tts.synthesize({ text, language: 'ru-RU' })) first ??= performance.now() - t0;
    if (first === null) throw new Error('no audio');
    return first;
  }

  it('a burst of greetings queues on the voice: Health says how long the oldest has waited, the gate lets no call start until it clears', async () => {
    const idle = await speech.health();
    expect(idle).toMatchObject({ serving: true, backlogMs: 0 });
    // the voices loaded at start (a word each) taught it what a request costs
    expect(idle.requestMs).toBeGreaterThan(0);
    const gate = watchSpeechCapacity(speech, { pollMs: 50, maxBacklogMs: 300 });
    try {
      const names = ['Анна Петровна', 'Сергей Иванович', 'Ольга Викторовна', 'Николай Андреевич', 'Мария Сергеевна', 'Пётр Ильич', 'Елена Павловна', 'Иван Иванович'];
      const burst = names.map((n) => firstAudioMs(`Здравствуйте, ${n}! Вас беспокоит поликлиника номер семь. Это автоматический звонок, с вами говорит робот. Приглашаем вас пройти бесплатную диспансеризацию.`));
      // while the burst is being spoken one at a time: a backlog, and the gate shut, streams or not
      let seen = 0;
      let shut = false;
      const until = Date.now() + 10_000;
      while (Date.now() < until && !(seen > 300 && shut)) {
        await new Promise((r) => setTimeout(r, 50));
        seen = Math.max(seen, (await speech.health()).backlogMs ?? 0);
        shut ||= gate.room() === 0;
      }
      expect(seen).toBeGreaterThan(300);
      expect(shut).toBe(true);
      expect(gate.headroomStreams()).toBeGreaterThan(900); // the streams alone would have let 450 calls start
      const waits = await Promise.all(burst);
      // the last in the queue waited for the seven before it
      expect(Math.max(...waits)).toBeGreaterThan(Math.min(...waits) + 300);
      // drained: no backlog, calls may start again
      await new Promise((r) => setTimeout(r, 150));
      expect((await speech.health()).backlogMs).toBe(0);
      expect(gate.room()).toBeGreaterThan(0);
      expect(gate.backlogMs()).toBe(0);
    } finally {
      gate.stop();
    }
  }, 60_000);
});
