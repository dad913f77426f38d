import { ModemListener, modemSpeak } from '../src/speech/index.js';

const SAMPLE_RATE_HZ = 8000;
const FRAME = 160; // one 20 ms RTP frame
const PROMPT = 'Здравствуйте! Вы записаны к терапевту на завтра в 9:40. Подтвердите, пожалуйста?';

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The modem voice's cost. Decoder: seconds of call audio one core decodes per CPU second, i.e.
 * how many calls it could listen to at once; the audio is half bursts, half silence, fed in
 * 160-sample frames as RTP delivers it. Encoder: seconds of audio produced per CPU second.
 * Runs about 2 s.
 */
export async function benchSpeech(): Promise<{ name: string; figures: Record<string, number | string> }> {
  // 60 s of line: bursts with equal gaps of silence, as a call alternates speaking and listening.
  const burst = modemSpeak(PROMPT);
  const line = new Int16Array(60 * SAMPLE_RATE_HZ);
  for (let at = 0; at + 2 * burst.length <= line.length; at += 2 * burst.length) line.set(burst, at);
  const messagesPerPass = Math.floor(line.length / (2 * burst.length));

  // Warm up the JIT, then time whole passes for at least 1 s of CPU.
  decodePass(line);
  let passes = 0;
  let decoded = 0;
  const d0 = cpuSeconds();
  while (cpuSeconds() - d0 < 1) {
    decoded += decodePass(line);
    passes++;
  }
  const decodeCpu = cpuSeconds() - d0;
  if (decoded !== passes * messagesPerPass) throw new Error(`bench: decoded ${decoded} of ${passes * messagesPerPass} messages`);
  const decodeRtf = (passes * line.length) / SAMPLE_RATE_HZ / decodeCpu;

  modemSpeak(PROMPT);
  let spoken = 0;
  let prompts = 0;
  const e0 = cpuSeconds();
  while (cpuSeconds() - e0 < 0.5) {
    spoken += modemSpeak(PROMPT).length;
    prompts++;
  }
  const encodeCpu = cpuSeconds() - e0;

  return {
    name: 'speech: modem voice (Bell 202 FSK)',
    figures: {
      'decoder real-time factor (audio s per CPU s = calls per core)': Math.round(decodeRtf),
      'decoder CPU per 20 ms frame (µs)': Number(((decodeCpu / ((passes * line.length) / FRAME)) * 1e6).toFixed(2)),
      'encoder real-time factor (audio s per CPU s)': Math.round(spoken / SAMPLE_RATE_HZ / encodeCpu),
      'encoder CPU per prompt (ms)': Number(((encodeCpu / prompts) * 1000).toFixed(3)),
      'prompt audio length (s)': Number((burst.length / SAMPLE_RATE_HZ).toFixed(3)),
      'prompt UTF-8 bytes': Buffer.byteLength(PROMPT),
    },
  };
}

function decodePass(line: Int16Array): number {
  const listener = new ModemListener();
  let messages = 0;
  for (let at = 0; at < line.length; at += FRAME) {
    for (const ev of listener.push(line.subarray(at, at + FRAME))) if (ev.type === 'message') messages++;
  }
  return messages;
}
