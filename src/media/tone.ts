/**
 * Single-tone measures of one frame of 8 kHz audio, shared by the early-media classifier
 * (early-media.ts: ringback, SIT, fax and modem tones) and the answering-machine beep detector
 * (amd.ts): a frequency estimated from rising crossings, then checked by a Goertzel bin at that
 * frequency. Pure, no allocation. The thresholds are the callers'.
 */

const RATE_HZ = 8000;

/**
 * Where a rising crossing is dated. 'interpolated': between the sample at or below +h and the one
 * above it (early-media.ts); it needs the sample before, so the scan starts at sample 1 and sample 0
 * cannot arm it. 'sample': at the first sample above +h (amd.ts); the scan starts at sample 0, which
 * can arm it. Each caller keeps the mode its figures were measured with.
 */
export type CrossingTime = 'interpolated' | 'sample';

/**
 * Frequency from the rising crossings of +h (armed again below -h, so noise near zero cannot add
 * crossings): whole periods between the first crossing and the last. 0 when fewer than two crossings.
 */
export function crossingFrequency(pcm: Int16Array, h: number, at: CrossingTime): number {
  const interpolate = at === 'interpolated';
  let armed = false;
  let first = -1;
  let last = -1;
  let count = 0;
  for (let n = interpolate ? 1 : 0; n < pcm.length; n++) {
    const x = pcm[n]!;
    if (x < -h) armed = true;
    else if (armed && x > h) {
      let t = n;
      if (interpolate) {
        const prev = pcm[n - 1]!;
        t = n - 1 + (h - prev) / (x - prev);
      }
      if (count === 0) first = t;
      last = t;
      count++;
      armed = false;
    }
  }
  return count >= 2 && last > first ? ((count - 1) * RATE_HZ) / (last - first) : 0;
}

/**
 * Share of the frame's energy at `hz` (Goertzel, rectangular window): 1 for a pure tone at hz.
 * The power of a sinusoid's bin is N^2 A^2 / 4 against an energy of N A^2 / 2.
 */
export function goertzelShare(pcm: Int16Array, hz: number, energy: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / RATE_HZ);
  let s1 = 0;
  let s2 = 0;
  for (let n = 0; n < pcm.length; n++) {
    const s0 = pcm[n]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / (pcm.length * energy);
}
