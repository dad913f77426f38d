/**
 * 48 kHz -> 8 kHz for VoiceKit's LINEAR16 synthesis, which its examples say comes at 48 kHz only
 * ("For now, LINEAR16 does not support sample rates other than 48kHz", voicekit-examples
 * README). A windowed-sinc low-pass (cut-off 3.6 kHz, below the 4 kHz the phone line keeps) and
 * every sixth sample; its state carries across chunks, so chunk boundaries leave no clicks.
 */
const FACTOR = 6;
const TAPS = 95;
const CUTOFF_HZ = 3600;
const IN_RATE_HZ = 48_000;

/** Blackman-windowed sinc, normalised to unity gain at DC. */
const KERNEL: Float64Array = (() => {
  const k = new Float64Array(TAPS);
  const fc = CUTOFF_HZ / IN_RATE_HZ;
  const mid = (TAPS - 1) / 2;
  let sum = 0;
  for (let i = 0; i < TAPS; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (TAPS - 1));
    k[i] = sinc * w;
    sum += k[i]!;
  }
  for (let i = 0; i < TAPS; i++) k[i]! /= sum;
  return k;
})();

/** A stateful 48 -> 8 kHz decimator for one synthesis. */
export function decimator48to8(): (pcm: Int16Array) => Int16Array {
  const history = new Float64Array(TAPS); // ring of the last TAPS input samples
  let pos = 0;
  let phase = 0;
  return (pcm) => {
    const out = new Int16Array(Math.floor((phase + pcm.length) / FACTOR));
    let o = 0;
    for (let i = 0; i < pcm.length; i++) {
      history[pos] = pcm[i]!;
      pos = (pos + 1) % TAPS;
      if (++phase < FACTOR) continue;
      phase = 0;
      let acc = 0;
      for (let t = 0; t < TAPS; t++) acc += KERNEL[t]! * history[(pos + t) % TAPS]!;
      out[o++] = Math.max(-32768, Math.min(32767, Math.round(acc)));
    }
    return o === out.length ? out : out.subarray(0, o);
  };
}
