"""Pronunciations in the en-us acoustic model's phone set (CMU) for words the dictionary lacks.

Russian words go through espeak-ng's IPA (`espeak-ng --ipa -v ru`), mapped onto the nearest CMU
phones, with several variants per word: an 8 kHz phone line and a model trained on English blur
Russian vowels, so a reduced and a full vowel, a palatalised consonant with and without a glide
are all given (one pronunciation of "да" was heard as "нет"). English words missing from cmudict
go through espeak-ng's English IPA the same way.
"""
import subprocess

# IPA vowel -> (stressed choices, unstressed choices); the first choice is the main pronunciation
VOWELS = {
    'ɑ': (['AA', 'AH'], ['AH', 'AA']), 'a': (['AA', 'AH'], ['AH', 'AA']), 'ʌ': (['AH', 'AA'], ['AH', 'AA']),
    'ɐ': (['AH', 'AA'], ['AH', 'AA']), 'ə': (['AH'], ['AH', 'IH']), 'æ': (['AE', 'EH'], ['AH', 'EH']),
    'e': (['EH', 'EY'], ['IH', 'EH']), 'ɛ': (['EH', 'EY'], ['IH', 'EH']), 'o': (['AO', 'OW'], ['AH', 'AO']),
    'ɔ': (['AO', 'OW'], ['AH', 'AO']), 'ɵ': (['AO', 'OW'], ['AH', 'AO']), 'i': (['IY', 'IH'], ['IH', 'IY']),
    'ɪ': (['IH', 'IY'], ['IH', 'IY']), 'y': (['IH', 'IY'], ['IH', 'AH']), 'ɨ': (['IH', 'IY'], ['IH', 'AH']),
    'u': (['UW', 'UH'], ['UH', 'UW']), 'ʊ': (['UH', 'UW'], ['UH', 'UW']), 'ɜ': (['ER'], ['ER']),
    'ɒ': (['AA', 'AO'], ['AH', 'AA']), 'ʉ': (['UW', 'UH'], ['UH', 'UW']), 'ᵻ': (['IH'], ['IH', 'AH']),
    'ɚ': (['ER'], ['ER', 'AH']), 'ʌ̃': (['AH'], ['AH']), 'ɘ': (['AH'], ['AH']),
}
CONSONANTS = {
    'p': 'P', 'b': 'B', 't': 'T', 'd': 'D', 'k': 'K', 'g': 'G', 'ɡ': 'G', 'f': 'F', 'v': 'V', 's': 'S', 'z': 'Z',
    'm': 'M', 'n': 'N', 'l': 'L', 'ɭ': 'L', 'ɫ': 'L', 'r': 'R', 'ɾ': 'R', 'ɹ': 'R', 'ʃ': 'SH', 'ʒ': 'ZH', 'ɕ': 'SH',
    'ʑ': 'ZH', 'x': 'HH', 'h': 'HH', 'j': 'Y', 'ɣ': 'G', 'w': 'W', 'θ': 'TH', 'ð': 'DH', 'ŋ': 'NG', 'ç': 'HH',
    'ʔ': '', 'ɲ': 'N', 'ʎ': 'L',
}
AFFRICATES = {'tʃ': 'CH', 'ts': 'T S', 'dʒ': 'JH', 'tɕ': 'CH', 'dz': 'D Z'}
# English diphthongs espeak writes as two symbols
DIPHTHONGS = {'aɪ': 'AY', 'aʊ': 'AW', 'eɪ': 'EY', 'oʊ': 'OW', 'əʊ': 'OW', 'ɔɪ': 'OY', 'ɪə': 'IH R', 'eə': 'EH R', 'ʊə': 'UH R'}
SKIP = set('ˌːˑ-‿ ')
MAX_VARIANTS = 4


def espeak_ipa(words, voice):
    """IPA of each word, one espeak-ng run for all of them (one word a line)."""
    out = subprocess.run(['espeak-ng', '-q', '--ipa', '-v', voice], input='\n'.join(words) + '\n',
                         capture_output=True, text=True, check=True, timeout=30).stdout
    lines = [l.strip() for l in out.split('\n') if l.strip()]
    if len(lines) != len(words):  # espeak joined or split a line: fall back to one run a word
        lines = [subprocess.run(['espeak-ng', '-q', '--ipa', '-v', voice], input=w + '\n', capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip() for w in words]
    return lines


def parse(ipa):
    """IPA -> units: ('C', phones, palatal) or ('V', symbol, stressed)."""
    units, i, stress = [], 0, False
    ipa = ipa.replace(' ', '')
    while i < len(ipa):
        ch = ipa[i]
        if ch == 'ˈ':
            stress = True; i += 1; continue
        if ch in SKIP:
            i += 1; continue
        two = ipa[i:i + 2]
        if two in DIPHTHONGS:
            units.append(('D', DIPHTHONGS[two], stress)); stress = False; i += 2; continue
        if two in AFFRICATES:
            pal = ipa[i + 2:i + 3] == 'ʲ'
            units.append(('C', AFFRICATES[two], pal)); i += 3 if pal else 2; continue
        if ch in VOWELS:
            units.append(('V', ch, stress)); stress = False; i += 1; continue
        if ch in CONSONANTS:
            pal = ipa[i + 1:i + 2] == 'ʲ'
            ph = CONSONANTS[ch]
            # geminates ("расс", "жж") are one phone
            if ph and not (units and units[-1][0] == 'C' and units[-1][1] == ph):
                units.append(('C', ph, pal))
            i += 2 if pal else 1; continue
        i += 1  # a symbol with no counterpart
    return units


def variants(ipa):
    """Up to MAX_VARIANTS phone strings, the most likely first."""
    units = parse(ipa)
    if not units:
        return []

    def build(stressed_alt=False, unstressed_alt=False, glide=False):
        out = []
        for k, u in enumerate(units):
            if u[0] == 'C':
                out.append(u[1])
                nxt = units[k + 1] if k + 1 < len(units) else None
                if glide and u[2] and u[1] not in ('Y', 'SH', 'CH', 'ZH') and nxt and nxt[0] == 'V' and nxt[1] not in 'iɪ':
                    out.append('Y')
            elif u[0] == 'D':
                out.append(u[1])
            else:
                st, un = VOWELS[u[1]]
                choices = st if u[2] else un
                alt = stressed_alt if u[2] else unstressed_alt
                out.append(choices[1] if alt and len(choices) > 1 else choices[0])
        return ' '.join(p for p in ' '.join(out).split() if p)

    found = []
    for kw in ({}, {'unstressed_alt': True}, {'glide': True}, {'stressed_alt': True}, {'glide': True, 'unstressed_alt': True}):
        v = build(**kw)
        if v and v not in found:
            found.append(v)
    return found[:MAX_VARIANTS]


class Lexicon:
    """Word -> pronunciation variants, cached per word."""

    def __init__(self, max_variants=MAX_VARIANTS):
        self.cache = {}
        self.max_variants = max_variants

    def lookup(self, words, voice):
        missing = [w for w in words if (voice, w) not in self.cache]
        if missing:
            for w, ipa in zip(missing, espeak_ipa(missing, voice)):
                self.cache[(voice, w)] = variants(ipa)[:self.max_variants]
        return {w: self.cache[(voice, w)] for w in words}
