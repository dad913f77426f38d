/**
 * The first grammar matcher, kept while runtime.ts still calls it: the callee's words are
 * matched against each intent's phrases as whole words, and the longest matching phrase wins,
 * so "не хочу" (no) beats "хочу" (yes) inside the same answer. New code uses intentMatcher().
 */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function matchIntent(text: string, intents: Readonly<Record<string, readonly string[]>>): string | null {
  const said = ` ${normalize(text)} `;
  let best: { intent: string; len: number } | null = null;
  for (const [intent, phrases] of Object.entries(intents)) {
    for (const phrase of phrases) {
      const p = normalize(phrase);
      if (p && said.includes(` ${p} `) && (!best || p.length > best.len)) best = { intent, len: p.length };
    }
  }
  return best?.intent ?? null;
}
