/**
 * From a decode's scores to a decision. Two signals, both per 10 ms frame of audio:
 *  - loop gap: the grammar path's score minus a free phone loop's over the same audio. Speech in
 *    the grammar fits a phrase almost as well as the best phone string; speech outside it does not.
 *  - N-best margin: the best phrase's lattice score minus the next different phrase's. A small
 *    margin means two phrases fit about equally ("да" or "нет").
 * A logistic blend of the two is the confidence; below REJECT_BELOW the utterance is heard as
 * outside the grammar. Weights and thresholds were fitted on RHVoice voices anna and aleksandr
 * (ru) and slt (en) through G.711 (tests/integration/speech-pocketsphinx.test.ts prints the
 * trade-off); other voices are held out.
 */

export interface DecodeFeatures {
  hyp: string | null;
  frames: number;
  /** the grammar path's score (log, pocketsphinx units) */
  score: number | null;
  /** the phone loop's score over the same audio */
  loop: number | null;
  /** distinct phrases with lattice scores, best first */
  nbest: readonly (readonly [string, number])[];
}

/** What a caller does with a confidence: at least act -> act; at least confirm -> ask "Вы сказали «да»?"; below -> no match. */
export const CONFIDENCE = { act: 0.8, confirm: 0.4 } as const;

export const MODEL = { loopWeight: 0.05, marginWeight: 0.1, bias: 2, rejectBelow: 0.15 };

export function features(f: DecodeFeatures): { loopGap: number; margin: number } | null {
  if (!f.hyp || f.score === null || f.loop === null || f.frames <= 0) return null;
  const loopGap = (f.score - f.loop) / f.frames;
  const first = f.nbest[0]?.[1];
  const second = f.nbest.find(([h]) => h !== f.nbest[0]?.[0])?.[1];
  // one phrase only in the lattice: as clear as margins get
  const margin = first !== undefined && second !== undefined ? (first - second) / f.frames : 10;
  return { loopGap, margin: Math.min(margin, 10) };
}

export function decide(f: DecodeFeatures, m = MODEL): { accepted: boolean; confidence: number } {
  const x = features(f);
  if (!x) return { accepted: false, confidence: f.frames > 0 ? 0.9 : 0 };
  const z = m.bias + m.loopWeight * x.loopGap + m.marginWeight * x.margin;
  const p = Math.round((1 / (1 + Math.exp(-z))) * 1000) / 1000;
  return p < m.rejectBelow ? { accepted: false, confidence: Math.round((1 - p) * 1000) / 1000 } : { accepted: true, confidence: p };
}
