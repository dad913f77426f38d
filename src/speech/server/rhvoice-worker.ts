/**
 * One RHVoice engine, loaded once, in a worker thread (src/speech/server/rhvoice.ts starts a
 * pool of these). RHVoice_speak() is synchronous and calls back with each piece of speech as it
 * is made, so the event loop of the speech server never waits for it, and a voice is loaded
 * once rather than per request (that load is most of a first chunk's latency with RHVoice-test).
 *
 * The C API is libRHVoice.so.5 (Debian: librhvoice5), called through koffi; the structures
 * below are those of RHVoice 1.8's RHVoice.h (set_sample_rate first among the callbacks, a
 * country in the voice info, flags in the synthesis parameters).
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

export interface RhvoiceWorkerData {
  library: string;
  dataPath: string;
  configPath: string;
}

export type ToWorker = { t: 'speak'; id: number; text: string; voice: string; rate: number; stop: SharedArrayBuffer };
export type FromWorker =
  | { t: 'ready'; voices: { name: string; language: string; country: string | null }[]; version: string }
  | { t: 'failed'; message: string }
  | { t: 'rate'; id: number; hz: number }
  | { t: 'pcm'; id: number; pcm: Int16Array }
  | { t: 'done'; id: number; ok: boolean };

type Koffi = typeof import('koffi');

function run(): void {
  const port = parentPort!;
  const data = workerData as RhvoiceWorkerData;
  const require = createRequire(import.meta.url);
  let koffi: Koffi;
  let lib: ReturnType<Koffi['load']>;
  try {
    koffi = require('koffi') as Koffi;
    lib = koffi.load(data.library);
  } catch (err) {
    port.postMessage({ t: 'failed', message: (err as Error).message } satisfies FromWorker);
    return;
  }
  const cb = 'void *';
  const Callbacks = koffi.struct('RHVoice_callbacks', {
    set_sample_rate: cb, play_speech: cb, process_mark: cb, word_starts: cb, word_ends: cb,
    sentence_starts: cb, sentence_ends: cb, play_audio: cb, done: cb,
  });
  const InitParams = koffi.struct('RHVoice_init_params', {
    data_path: 'const char *', config_path: 'const char *', resource_paths: 'void *', callbacks: Callbacks, options: 'unsigned int',
  });
  const SynthParams = koffi.struct('RHVoice_synth_params', {
    voice_profile: 'const char *', absolute_rate: 'double', absolute_pitch: 'double', absolute_volume: 'double',
    relative_rate: 'double', relative_pitch: 'double', relative_volume: 'double',
    punctuation_mode: 'int', punctuation_list: 'const char *', capitals_mode: 'int', flags: 'int',
  });
  const VoiceInfo = koffi.struct('RHVoice_voice_info', { language: 'const char *', name: 'const char *', gender: 'int', country: 'const char *' });
  const SetSampleRate = koffi.proto('int RHVoice_set_sample_rate_cb(int sample_rate, void *user_data)');
  const PlaySpeech = koffi.proto('int RHVoice_play_speech_cb(const int16_t *samples, unsigned int count, void *user_data)');
  const version = lib.func('const char *RHVoice_get_version()');
  const newEngine = lib.func('void *RHVoice_new_tts_engine(const RHVoice_init_params *params)');
  const voiceCount = lib.func('unsigned int RHVoice_get_number_of_voices(void *engine)');
  const voiceList = lib.func('const RHVoice_voice_info *RHVoice_get_voices(void *engine)');
  const newMessage = lib.func('void *RHVoice_new_message(void *engine, const char *text, unsigned int length, int type, const RHVoice_synth_params *params, void *user_data)');
  const speak = lib.func('int RHVoice_speak(void *message)');
  const deleteMessage = lib.func('void RHVoice_delete_message(void *message)');

  // the request being spoken: the callbacks run inside speak(), on this thread
  let current: { id: number; stop: Int32Array } | null = null;
  const onRate = koffi.register((hz: number) => {
    if (current) port.postMessage({ t: 'rate', id: current.id, hz } satisfies FromWorker);
    return 1;
  }, koffi.pointer(SetSampleRate));
  const onSpeech = koffi.register((samples: unknown, count: number) => {
    if (!current || Atomics.load(current.stop, 0)) return 0;
    // a copy: the samples are RHVoice's buffer, valid during this call only
    const pcm = new Int16Array(koffi.view(samples, count * 2).slice(0));
    port.postMessage({ t: 'pcm', id: current.id, pcm } satisfies FromWorker, [pcm.buffer]);
    return 1;
  }, koffi.pointer(PlaySpeech));

  const engine = newEngine({
    data_path: data.dataPath, config_path: data.configPath, resource_paths: null,
    callbacks: { set_sample_rate: onRate, play_speech: onSpeech }, options: 0,
  });
  if (!engine) {
    port.postMessage({ t: 'failed', message: `RHVoice found no voices under ${data.dataPath}` } satisfies FromWorker);
    return;
  }
  const voices = (koffi.decode(voiceList(engine), VoiceInfo, voiceCount(engine)) as { name: string; language: string; country: string | null }[])
    .map((v) => ({ name: v.name, language: v.language, country: v.country }));
  port.postMessage({ t: 'ready', voices, version: version() as string } satisfies FromWorker);

  port.on('message', (m: ToWorker) => {
    const text = Buffer.from(m.text, 'utf8');
    current = { id: m.id, stop: new Int32Array(m.stop) };
    let ok = false;
    const message = newMessage(engine, text, text.length, 0, {
      voice_profile: m.voice, absolute_rate: 0, absolute_pitch: 0, absolute_volume: 0,
      relative_rate: m.rate, relative_pitch: 1, relative_volume: 1,
      punctuation_mode: 0, punctuation_list: null, capitals_mode: 0, flags: 0,
    }, null);
    if (message) {
      // speak() returns 0 when play_speech stopped it, as an abort does
      ok = Boolean(speak(message)) || Atomics.load(current.stop, 0) === 1;
      deleteMessage(message);
    }
    current = null;
    port.postMessage({ t: 'done', id: m.id, ok } satisfies FromWorker);
  });
}

if (parentPort) run();
