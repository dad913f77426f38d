/**
 * A listen step's closed grammar on an engine that only narrows its search: vosk-api turns the
 * phrase list into a bigram model (src/recognizer.cc, UpdateGrammarFst), so it can answer
 * word sequences that are no phrase ("да нет"), and without "[unk]" in the list it forces
 * every sound onto the phrases' words. zvonar adds "[unk]" (the out-of-vocabulary word of
 * Vosk's models) and accepts a result only when it is one phrase, so the port's promise holds:
 * a phrase or 'no-match', never a forced match. It holds on big models too, which ignore the
 * list and hear open vocabulary.
 */

/** Vosk's word for speech outside the grammar. */
export const UNK = '[unk]';

/** Vosk's spelling of a phrase: lower case words, no punctuation (the models' vocabularies have none). */
export function voskWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'[\]-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** For comparing only: Russian texts write ё as е as often as not. */
const fold = (words: string): string => words.replace(/ё/g, 'е');

export class Grammar {
  /** folded Vosk spelling -> the phrase as the script wrote it */
  readonly #phrases = new Map<string, string>();

  constructor(phrases: readonly string[]) {
    for (const p of phrases) {
      const w = voskWords(p);
      if (w !== '' && !this.#phrases.has(fold(w))) this.#phrases.set(fold(w), p);
    }
  }

  /** What goes in the config's phrase_list. */
  phraseList(): string[] {
    const seen = new Set<string>();
    for (const p of this.#phrases.values()) seen.add(voskWords(p));
    return [...seen, UNK];
  }

  /** The script's phrase a result's text is, or null (off-grammar, [unk], or several phrases run together). */
  match(text: string): string | null {
    return this.#phrases.get(fold(voskWords(text))) ?? null;
  }
}
