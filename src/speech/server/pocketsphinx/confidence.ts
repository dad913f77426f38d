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

/**
 * The decision rule, fitted by a grid search over the tuning voices' decodes (488: in-grammar
 * answers and off-grammar sentences) for the most answers ending right (acted on, or confirmed)
 * with at most 3% acted on wrongly: act when loopGap >= ACT_GAP and margin >= ACT_MARGIN;
 * confirm when loopGap >= CONFIRM_GAP; otherwise outside the grammar. Fitted: 84% end right
 * (66% acted on directly), 2.3% of in-grammar answers and 5% of off-grammar sentences acted on
 * wrongly. A logistic blend of the same two signals did worse on off-grammar speech (40-65% acted
 * on at any threshold keeping 70% acted right): off-grammar sentences are few but decisive.
 */
export const RULE = { actGap: -3, actMargin: 1, confirmGap: -8 };

export function features(f: DecodeFeatures): { loopGap: number; margin: number } | null {
  if (!f.hyp || f.score === null || f.loop === null || f.frames <= 0) return null;
  const loopGap = (f.score - f.loop) / f.frames;
  const first = f.nbest[0]?.[1];
  const second = f.nbest.find(([h]) => h !== f.nbest[0]?.[0])?.[1];
  // one phrase only in the lattice: as clear as margins get
  const margin = first !== undefined && second !== undefined ? (first - second) / f.frames : 10;
  return { loopGap, margin: Math.min(margin, 10) };
}

const clip = (x: number) => Math.max(0, Math.min(1, x));
const round = (x: number) => Math.round(x * 1000) / 1000;

/** accepted false: outside the grammar, confidence that nothing in it was said */
export function decide(f: DecodeFeatures, r = RULE): { accepted: boolean; confidence: number } {
  const x = features(f);
  if (!x) return { accepted: false, confidence: f.frames > 0 ? 0.9 : 0 };
  const slack = Math.min(x.loopGap - r.actGap, 4 * (x.margin - r.actMargin));
  if (slack >= 0) return { accepted: true, confidence: round(CONFIDENCE.act + (1 - CONFIDENCE.act) * (1 - Math.exp(-slack / 4))) };
  if (x.loopGap >= r.confirmGap) {
    const span = CONFIDENCE.act - CONFIDENCE.confirm - 0.001;
    const q = Math.min(clip((x.loopGap - r.confirmGap) / (r.actGap - r.confirmGap)), clip(x.margin / Math.max(r.actMargin, 1e-6)));
    return { accepted: true, confidence: round(CONFIDENCE.confirm + span * q) };
  }
  return { accepted: false, confidence: round(0.5 + 0.5 * (1 - Math.exp((x.loopGap - r.confirmGap) / 4))) };
}
