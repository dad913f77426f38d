import { afterEach, describe, expect, it } from 'vitest';
import { RtpSession } from '../../src/media/rtp-session.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import { ModemListener } from '../../src/speech/index.js';
import { syntheticVoice } from '../support/synthetic-voice.js';
import { until } from '../support/engine.js';

/**
 * A simulated callee hearing a voice it cannot decode, over real RTP on 127.0.0.1 (G.711): the
 * robot's side is a media session as the engine's is, sending nothing between its utterances
 * (talkspurts), so the callee must hear the silence by the clock. The robot's voice is a synthetic
 * vowel standing in for a natural one (tests/support/synthetic-voice.ts).
 */
const open: { close(): void | Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function call(persona: 'agree' | 'hang-up') {
  const net = new SimNetwork({ personaOf: () => persona, media: { allocate: () => RtpSession.open() }, answerDelayMs: 0 });
  const robot = await RtpSession.open();
  open.push(robot, net);
  const hangups: string[] = [];
  const leg = await net.originate({ callId: 'c1', to: '+79000000001', from: '+78632000000', sdpOffer: robot.offer() }, {
    hangup: ({ by }) => hangups.push(by),
  }, new AbortController().signal);
  robot.answer(leg.sdpAnswer);
  const heard: { text: string; at: number }[] = [];
  const listener = new ModemListener();
  robot.on('audio', (pcm) => {
    for (const ev of listener.push(pcm)) if (ev.type === 'message') heard.push({ text: ev.text, at: Date.now() });
  });
  return { robot, record: net.calls[0]!, heard, hangups };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a simulated callee over RTP, hearing a voice it cannot decode', () => {
  it('answers an utterance the robot falls silent after, in the modem voice, no sooner than turnSilenceMs', async () => {
    const { robot, record, heard } = await call('agree');
    await robot.play(syntheticVoice(1500));
    const ended = Date.now();
    await until(() => heard.length > 0, 'the reply', 5_000);
    expect(heard.map((h) => h.text)).toEqual(['Да, запишите, пожалуйста']);
    // a second of silence, then the reply's own length (~0.4 s of FSK)
    expect(heard[0]!.at - ended).toBeGreaterThanOrEqual(1000);
    expect(record.heard).toEqual([expect.stringMatching(/^\(robot speech, 1\.\d s\)$/)]);
  });

  it('does not answer a statement followed by a prompt after a short gap, then answers the prompt', async () => {
    const { robot, record, heard } = await call('agree');
    await robot.play(syntheticVoice(1200));
    await pause(700); // the next prompt being synthesised: past the VAD's hangover (400 ms), within turnSilenceMs (1 s)
    await robot.play(syntheticVoice(1000));
    await until(() => heard.length > 0, 'the reply', 5_000);
    expect(record.heard).toHaveLength(2);
    expect(record.said).toEqual(['Да, запишите, пожалуйста']);
    expect(heard.map((h) => h.text)).toEqual(['Да, запишите, пожалуйста']);
  });

  it('hangs up after hearing hangUpAfter utterances', async () => {
    const { robot, record, hangups } = await call('hang-up');
    await robot.play(syntheticVoice(1000));
    await until(() => hangups.length > 0, 'the hang-up', 5_000);
    expect(hangups).toEqual(['callee']);
    expect(record).toMatchObject({ endedBy: 'callee', said: [] });
    expect(record.heard).toHaveLength(1);
  });
});
