import type { VoiceEngine } from '../src/speech/server/engines.js';
import { startEspeak } from '../src/speech/server/espeak.js';
import { startRhvoice } from '../src/speech/server/rhvoice.js';
import { normalizeText } from '../src/speech/server/text.js';

/** A typical reminder, about 8-10 s spoken. */
const PROMPT = normalizeText('Здравствуйте! Это автоматический звонок из клиники «Здоровье». Напоминаем, что вы записаны к терапевту на 08.12.2026 в 9:40. Если вы придёте, скажите да.', 'ru-RU');
const RUNS = 5;

interface Run { firstMs: number; totalMs: number; audioS: number }

async function once(engine: VoiceEngine, voice: string): Promise<Run> {
  const t0 = performance.now();
  let firstMs = 0, samples = 0;
  for await (const c of engine.synthesize(PROMPT, { voice, language: 'ru-RU', rate: 1 }, new AbortController().signal)) {
    firstMs ||= performance.now() - t0;
    samples += c.length;
  }
  return { firstMs, totalMs: performance.now() - t0, audioS: samples / 8000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The voices' speed on one prompt: first-chunk latency (what the callee waits for after the
 * dialog decides to speak) and real-time factor (synthesis time / audio time; 0.05 = one core
 * speaks 20 prompts at once), medians of 5 runs after a warm-up, one request at a time.
 * RHVoice both ways (its library in a worker thread; RHVoice-test per request) and espeak-ng.
 * An engine that is not installed is reported as such. Runs about 15 s.
 */
export async function benchVoices(): Promise<{ name: string; figures: Record<string, number | string>; lines: string[] }> {
  const figures: Record<string, number | string> = {};
  /** the issue's lines, `tts rtf: <engine> X` */
  const lines: string[] = [];
  const engines: [string, () => Promise<VoiceEngine>, string][] = [
    ['rhvoice', () => startRhvoice({ driver: 'library', workers: 1 }), 'anna'],
    ['rhvoice-test', () => startRhvoice({ driver: 'command' }), 'anna'],
    ['espeak-ng', () => startEspeak(), 'ru'],
  ];
  for (const [label, start, voice] of engines) {
    let engine: VoiceEngine;
    const rss0 = process.memoryUsage().rss;
    try {
      engine = await start();
    } catch (err) {
      figures[`tts ${label}`] = `not available: ${(err as Error).message.slice(0, 120)}`;
      continue;
    }
    try {
      await once(engine, voice);
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await once(engine, voice));
      figures[`tts rtf: ${label}`] = Number(median(runs.map((r) => r.totalMs / 1000 / r.audioS)).toFixed(3));
      lines.push(`tts rtf: ${label} ${figures[`tts rtf: ${label}`]}`);
      figures[`tts first chunk ms: ${label}`] = Number(median(runs.map((r) => r.firstMs)).toFixed(1));
      figures[`tts prompt s: ${label}`] = Number(median(runs.map((r) => r.audioS)).toFixed(2));
      if (label === 'rhvoice') figures[`tts rss MB, one worker, one voice: ${label}`] = Math.round((process.memoryUsage().rss - rss0) / 1e6);
    } finally {
      await engine.close();
    }
  }
  return { name: 'Speech voices: RHVoice and espeak-ng on a typical 8-10 s Russian prompt', figures, lines };
}
