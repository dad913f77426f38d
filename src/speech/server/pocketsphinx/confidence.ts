/**
 * From a decode's scores to a decision. Two signals, both per 10 ms frame of audio:
 *  - fit: the grammar path's acoustic score per frame. pocketsphinx keeps each frame's scores
 *    relative to the best-scoring senone of that frame, so this is how far, on average, the phrase
 *    falls short of the best the model could say about each frame. Speech in the grammar fits a
 *    phrase nearly as well as anything; speech outside it does not. (A free phone loop decoded
 *    beside the grammar as an explicit yardstick cost 150 ms of CPU an utterance and separated no
 *    better: fitted on the same audio, 77% against 79% of answers ended right at the same error.)
 *  - N-best margin: the best phrase's lattice score minus the next different phrase's. A small
 *    margin means two phrases fit about equally ("да" or "нет").
 * The rule was fitted on RHVoice voices anna and aleksandr (ru) and slt (en) through G.711, clean
 * and with white line noise at 15-30 dB SNR (tune/: exp.py decodes the corpus, fit.py searches the
 * rule); other voices are held out (tests/integration/speech-pocketsphinx.test.ts prints them).
 */

export interface DecodeFeatures {
  hyp: string | null;
  frames: number;
  /** the grammar path's acoustic score (log, pocketsphinx units, relative to each frame's best senone) */
  score: number | null;
  /** distinct phrases with lattice scores, best first */
  nbest: readonly (readonly [string, number])[];
}

/** What a caller does with a confidence: at least act -> act; at least confirm -> ask "Вы сказали «да»?"; below -> no match. */
export const CONFIDENCE = { act: 0.8, confirm: 0.4 } as const;

/**
 * The decision rule: act when fit >= actFit and margin >= actMargin; confirm when fit >=
 * confirmFit and margin >= confirmMargin; otherwise outside the grammar. Fitted by a grid search over the tuning decodes (976:
 * each in-grammar answer of the yes/no step and 20 off-grammar sentences per voice, clean and
 * noisy) for the most answers ending right (acted on, or confirmed) with at most 1% of all
 * decodes acted on wrongly and at least 60% of the off-grammar sentences rejected. Fitted: 78%
 * end right (39% acted on directly; clean 92/81/100% of anna/aleksandr/slt's answers heard right,
 * with noise 72-78%, which caps it), 0.9% acted on wrongly, 60% of off-grammar sentences rejected
 * (most of the rest are asked about, and the callee's "нет" ends it). The old rule on the loop
 * gap, on the same decodes: 68% end right, 2% acted on wrongly.
 */
export const RULE = { actFit: -27.7, actMargin: 1.5, confirmFit: -36.6, confirmMargin: 0 };

export function features(f: DecodeFeatures): { fit: number; margin: number } | null {
  if (!f.hyp || f.score === null || f.frames <= 0) return null;
  const fit = f.score / f.frames;
  const first = f.nbest[0]?.[1];
  const second = f.nbest.find(([h]) => h !== f.nbest[0]?.[0])?.[1];
  // one phrase only in the lattice: as clear as margins get
  const margin = first !== undefined && second !== undefined ? (first - second) / f.frames : 10;
  return { fit, margin: Math.min(margin, 10) };
}

const clip = (x: number) => Math.max(0, Math.min(1, x));
const round = (x: number) => Math.round(x * 1000) / 1000;

/** accepted false: outside the grammar, confidence that nothing in it was said */
export function decide(f: DecodeFeatures, r = RULE): { accepted: boolean; confidence: number } {
  const x = features(f);
  if (!x) return { accepted: false, confidence: f.frames > 0 ? 0.9 : 0 };
  const scale = Math.max(1, (r.actFit - r.confirmFit) / 2);
  const slack = Math.min((x.fit - r.actFit) / scale, x.margin - r.actMargin);
  if (slack >= 0) return { accepted: true, confidence: round(CONFIDENCE.act + (1 - CONFIDENCE.act) * (1 - Math.exp(-slack))) };
  if (x.fit >= r.confirmFit && x.margin >= r.confirmMargin) {
    const span = CONFIDENCE.act - CONFIDENCE.confirm - 0.001;
    const q = Math.min(clip((x.fit - r.confirmFit) / (r.actFit - r.confirmFit)), clip(x.margin / Math.max(r.actMargin, 1e-6)));
    return { accepted: true, confidence: round(CONFIDENCE.confirm + span * q) };
  }
  return { accepted: false, confidence: round(0.5 + 0.5 * (1 - Math.exp((x.fit - r.confirmFit) / scale))) };
}
