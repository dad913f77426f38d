/**
 * A stand-in for a natural voice (RHVoice, a person) in tests: a synthetic vowel (140 Hz with 24
 * harmonics, the modem decoder's own "voiced speech" test signal, fsk-decoder.ts) in syllables of
 * 160 ms, with 60 ms dips 30 dB down between them. It is not the modem voice, the VAD hears it as
 * one utterance, and it survives G.711.
 */
export function syntheticVoice(ms: number): Int16Array {
  const out = new Int16Array(Math.round(ms * 8));
  for (let n = 0; n < out.length; n++) {
    let v = 0;
    for (let h = 1; h <= 24; h++) v += Math.sin((2 * Math.PI * 140 * h * n) / 8000) / h;
    const inSyllable = n % 1760 < 1280;
    out[n] = Math.round(v * (inSyllable ? 3000 : 95));
  }
  return out;
}
