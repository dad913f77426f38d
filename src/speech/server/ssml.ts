import { SpeechError, cardinal, clockWords, dateWords, ordinal, spokenLanguage, telephoneWords } from '../../core/index.js';

/**
 * The SSML the reference speech server reads: a small subset, enough for a prompt to pause, to
 * slow down, and to say a date, time, number, phone number or abbreviation the one right way.
 *
 *   <speak>                      the root; version, xmlns and xml:lang (the request's language) allowed
 *   <break time="300ms"/>        silence, at most 10 s; or strength="none|x-weak|weak|medium|strong|x-strong"
 *   <say-as interpret-as="date|time|cardinal|ordinal|telephone|characters">  text only;
 *                                date takes format="dmy|mdy|ymd" (default: dmy, mdy for US English)
 *   <prosody rate="x-slow|slow|medium|fast|x-fast|80%|+10%|1.2">  nests, multiplying; 0.5 to 2
 *
 * Anything else (another element or attribute, a bad value, a tag not closed) is
 * SpeechError('SSML_INVALID') naming it and its line and column; the server answers it with
 * INVALID_ARGUMENT. Text not starting with "<speak" is plain text: one segment.
 */

export type Segment = { text: string; rate: number } | { breakMs: number };

const MAX_BREAK_MS = 10_000;
const MIN_RATE = 0.5, MAX_RATE = 2;
const SUBSET = 'speak, break (time, strength), say-as (interpret-as, format), prosody (rate)';

const BREAK_STRENGTH_MS: Readonly<Record<string, number>> = { none: 0, 'x-weak': 100, weak: 200, medium: 400, strong: 700, 'x-strong': 1000 };
const RATE_WORDS: Readonly<Record<string, number>> = { 'x-slow': 0.6, slow: 0.8, medium: 1, default: 1, fast: 1.25, 'x-fast': 1.5 };
const INTERPRET_AS = ['date', 'time', 'cardinal', 'ordinal', 'telephone', 'characters'] as const;
type InterpretAs = (typeof INTERPRET_AS)[number];

const ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  speak: ['version', 'xmlns', 'xml:lang'],
  break: ['time', 'strength'],
  'say-as': ['interpret-as', 'format'],
  prosody: ['rate'],
};

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parses a synthesis request's text. Throws SpeechError('SSML_INVALID'). */
export function parseSsml(input: string, language: string): Segment[] {
  const src = input.replace(/^\ufeff/, '');
  const start = src.trimStart();
  if (!/^<(?:\?xml|speak[\s>/])/.test(start)) return collapse([{ text: src, rate: 1 }]);
  return new Parser(src, language).parse();
}

interface Open {
  name: string;
  at: number;
  rate: number;
  sayAs?: { as: InterpretAs; format: string | undefined; text: string };
}

class Parser {
  readonly #s: string;
  readonly #language: string;
  #i = 0;
  readonly #out: Segment[] = [];
  readonly #stack: Open[] = [];

  constructor(s: string, language: string) {
    this.#s = s;
    this.#language = language;
  }

  parse(): Segment[] {
    const s = this.#s;
    this.#skipSpace();
    if (s.startsWith('<?xml', this.#i)) {
      const end = s.indexOf('?>', this.#i);
      if (end < 0) this.#fail(this.#i, 'the <?xml declaration is not closed with ?>');
      this.#i = end + 2;
    }
    let rootDone = false;
    while (this.#i < s.length) {
      const at = this.#i;
      if (s.startsWith('<!--', at)) {
        const end = s.indexOf('-->', at + 4);
        if (end < 0) this.#fail(at, 'a comment <!-- is not closed with -->');
        this.#i = end + 3;
      } else if (s[at] === '<') {
        if (rootDone) this.#fail(at, 'nothing may follow </speak>');
        if (s.startsWith('<![CDATA[', at) || s.startsWith('<!', at) || s.startsWith('<?', at)) this.#fail(at, `"${s.slice(at, at + 9)}" is not supported here`);
        if (s[at + 1] === '/') rootDone = this.#endTag();
        else this.#startTag();
      } else {
        const next = s.indexOf('<', at);
        const end = next < 0 ? s.length : next;
        const raw = s.slice(at, end);
        if (!this.#stack.length) {
          if (raw.trim()) this.#fail(at, rootDone ? 'text after </speak>' : 'text before <speak>');
        } else {
          this.#text(this.#decode(raw, at), at);
        }
        this.#i = end;
      }
    }
    if (this.#stack.length) {
      const open = this.#stack[this.#stack.length - 1]!;
      this.#fail(open.at, `<${open.name}> is not closed`);
    }
    if (!rootDone) this.#fail(0, 'the text starts as SSML but has no <speak> element');
    return collapse(this.#out);
  }

  #startTag(): void {
    const s = this.#s, at = this.#i;
    const m = /^<([A-Za-z_][\w:.-]*)/.exec(s.slice(at, at + 100));
    if (!m) this.#fail(at, 'a "<" that starts no tag; write &lt; for the character');
    const name = m[1]!;
    this.#i = at + m[0].length;
    const attrs = new Map<string, { value: string; at: number }>();
    let selfClosing = false;
    for (;;) {
      this.#skipSpace();
      if (s.startsWith('/>', this.#i)) {
        selfClosing = true;
        this.#i += 2;
        break;
      }
      if (s[this.#i] === '>') {
        this.#i++;
        break;
      }
      const aAt = this.#i;
      const a = /^([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(s.slice(aAt, aAt + 1000));
      if (!a) this.#fail(aAt, this.#i >= s.length ? `<${name}> is not closed with ">"` : `<${name}>: expected an attribute name="value" or the end of the tag`);
      if (attrs.has(a[1]!)) this.#fail(aAt, `<${name}>: attribute ${a[1]} is given twice`);
      attrs.set(a[1]!, { value: this.#decode(a[2] ?? a[3] ?? '', aAt), at: aAt });
      this.#i = aAt + a[0].length;
    }
    const allowed = ATTRIBUTES[name];
    if (!allowed) this.#fail(at, `<${name}> is not supported; the SSML subset is ${SUBSET}`);
    if (!this.#stack.length && name !== 'speak') this.#fail(at, `the root element must be <speak>, not <${name}>`);
    if (this.#stack.length && name === 'speak') this.#fail(at, '<speak> inside <speak>');
    for (const [attr, { at: aAt }] of attrs) {
      if (!allowed.includes(attr) && !(name === 'speak' && attr.startsWith('xmlns:'))) {
        this.#fail(aAt, `<${name}>: attribute ${attr} is not supported${allowed.length ? `; it takes ${allowed.join(', ')}` : ''}`);
      }
    }
    const parent = this.#stack[this.#stack.length - 1];
    if (parent?.sayAs) this.#fail(at, `<${name}> inside <say-as>: it takes text only`);
    const rate = parent?.rate ?? 1;
    switch (name) {
      case 'speak': {
        const lang = attrs.get('xml:lang');
        if (lang && !sameLanguage(lang.value, this.#language)) this.#fail(lang.at, `<speak>: xml:lang "${lang.value.slice(0, 20)}" differs from the request's language "${this.#language.slice(0, 20)}"`);
        break;
      }
      case 'break': {
        if (!selfClosing) {
          // <break></break> is allowed: empty
          const close = /^\s*<\/break\s*>/.exec(s.slice(this.#i, this.#i + 100));
          if (!close) this.#fail(at, '<break> must be empty: write <break time="300ms"/>');
          this.#i += close[0].length;
        }
        this.#out.push({ breakMs: this.#breakMs(attrs) });
        return;
      }
      case 'say-as': {
        const as = attrs.get('interpret-as');
        if (!as) this.#fail(at, `<say-as> needs interpret-as: one of ${INTERPRET_AS.join(', ')}`);
        if (!(INTERPRET_AS as readonly string[]).includes(as.value)) this.#fail(as.at, `<say-as>: interpret-as "${as.value.slice(0, 20)}" is not supported; one of ${INTERPRET_AS.join(', ')}`);
        const format = attrs.get('format');
        if (format && (as.value !== 'date' || !['dmy', 'mdy', 'ymd'].includes(format.value))) {
          this.#fail(format.at, as.value === 'date' ? `<say-as>: format "${format.value.slice(0, 20)}" for a date is one of dmy, mdy, ymd` : `<say-as>: format is for interpret-as="date" only`);
        }
        if (selfClosing) return;
        this.#stack.push({ name, at, rate, sayAs: { as: as.value as InterpretAs, format: format?.value, text: '' } });
        return;
      }
      case 'prosody': {
        const r = attrs.get('rate');
        const value = r ? this.#rate(r.value, r.at) : 1;
        if (!selfClosing) this.#stack.push({ name, at, rate: Math.round(Math.min(MAX_RATE, Math.max(MIN_RATE, rate * value)) * 1000) / 1000 });
        return;
      }
    }
    if (!selfClosing) this.#stack.push({ name, at, rate });
  }

  /** true when the root closes */
  #endTag(): boolean {
    const s = this.#s, at = this.#i;
    const m = /^<\/([A-Za-z_][\w:.-]*)\s*>/.exec(s.slice(at, at + 100));
    if (!m) this.#fail(at, 'a closing tag "</" that is not </name>');
    const open = this.#stack.pop();
    if (!open) this.#fail(at, `</${m[1]}> closes nothing`);
    if (open.name !== m[1]) this.#fail(at, `</${m[1]}> closes <${open.name}> (opened at ${this.#where(open.at)})`);
    this.#i = at + m[0].length;
    if (open.sayAs) this.#out.push({ text: ` ${this.#sayAs(open.sayAs, open.at)} `, rate: open.rate });
    return this.#stack.length === 0;
  }

  #text(text: string, at: number): void {
    const top = this.#stack[this.#stack.length - 1]!;
    if (top.sayAs) top.sayAs.text += text;
    else if (text) this.#out.push({ text, rate: top.rate });
    void at;
  }

  #breakMs(attrs: Map<string, { value: string; at: number }>): number {
    const time = attrs.get('time'), strength = attrs.get('strength');
    if (time) {
      const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(time.value);
      if (!m) this.#fail(time.at, `<break>: time "${time.value.slice(0, 20)}" is not a duration such as 300ms or 1.5s`);
      const ms = Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
      if (ms > MAX_BREAK_MS) this.#fail(time.at, `<break>: time ${time.value} is longer than ${MAX_BREAK_MS / 1000} s`);
      return ms;
    }
    if (strength) {
      const ms = BREAK_STRENGTH_MS[strength.value];
      if (ms === undefined) this.#fail(strength.at, `<break>: strength "${strength.value.slice(0, 20)}" is not one of ${Object.keys(BREAK_STRENGTH_MS).join(', ')}`);
      return ms;
    }
    return BREAK_STRENGTH_MS.medium!;
  }

  #rate(v: string, at: number): number {
    const word = RATE_WORDS[v];
    if (word !== undefined) return word;
    let m: RegExpExecArray | null;
    let r: number | undefined;
    if ((m = /^\s*([+-]?)(\d+(?:\.\d+)?)%\s*$/.exec(v))) r = m[1] ? 1 + (m[1] === '-' ? -1 : 1) * (Number(m[2]) / 100) : Number(m[2]) / 100;
    else if ((m = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(v))) r = Number(m[1]);
    if (r === undefined || !(r >= MIN_RATE && r <= MAX_RATE)) {
      this.#fail(at, `<prosody>: rate "${v.slice(0, 20)}" is not one of ${Object.keys(RATE_WORDS).join(', ')}, a percentage or a number from ${MIN_RATE} to ${MAX_RATE}`);
    }
    return r;
  }

  #sayAs(s: { as: InterpretAs; format: string | undefined; text: string }, at: number): string {
    const text = s.text.trim();
    const lang = this.#language;
    const bad = (what: string): never => this.#fail(at, `<say-as interpret-as="${s.as}">: "${text.slice(0, 30)}" is not ${what}`);
    switch (s.as) {
      case 'cardinal':
      case 'ordinal': {
        const digits = text.replace(/[\s\u00a0\u202f]/g, '');
        if (!/^\d{1,9}$/.test(digits)) bad('a whole number from 0 to 999999999');
        return s.as === 'cardinal' ? cardinal(Number(digits), lang) : ordinal(Number(digits), lang);
      }
      case 'telephone':
        if (!/^\+?[\d\s\-().]+$/.test(text) || !/\d/.test(text)) bad('a phone number');
        return telephoneWords(text, lang);
      case 'time': {
        const m = /^([01]?\d|2[0-3])[:.]([0-5]\d)(?:\s*([AaPp])\.?\s?[Mm]\.?)?$/.exec(text);
        if (!m) return bad('a time such as 9:40 or 18:00');
        const hour = m[3] ? (Number(m[1]) % 12) + (m[3].toLowerCase() === 'p' ? 12 : 0) : Number(m[1]);
        return clockWords(hour, Number(m[2]), lang, { twelveHour: Boolean(m[3]) });
      }
      case 'date': {
        const parts = text.split(/[./\-\s]+/).map(Number);
        if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p))) bad('a date such as 08.12.2026 or 2026-12-08');
        const us = /^en(?:[-_]us)?$/i.test(lang);
        const format = s.format ?? (/^\d{4}/.test(text) ? 'ymd' : us && text.includes('/') ? 'mdy' : 'dmy');
        const [d, mo, y] = format === 'dmy' ? parts : format === 'mdy' ? [parts[1]!, parts[0]!, parts[2]!] : [parts[2]!, parts[1]!, parts[0]!];
        if (!validDate(d!, mo!, y!)) bad(`a date (read as ${format})`);
        return dateWords(d!, mo!, y, lang);
      }
      case 'characters':
        return spell(text, lang);
    }
  }

  #decode(raw: string, at: number): string {
    return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (m, e: string | undefined, off: number) => {
      if (!e) this.#fail(at + off, 'a bare "&"; write &amp; for the character');
      if (e.startsWith('#')) {
        const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        if (!(code > 0 && code <= 0x10ffff)) this.#fail(at + off, `${m} is not a character`);
        return String.fromCodePoint(code);
      }
      const ch = ENTITIES[e];
      if (ch === undefined) this.#fail(at + off, `unknown entity ${m}; XML has &amp; &lt; &gt; &quot; &apos;`);
      return ch;
    });
  }

  #skipSpace(): void {
    while (this.#i < this.#s.length && /\s/.test(this.#s[this.#i]!)) this.#i++;
  }

  #where(offset: number): string {
    const before = this.#s.slice(0, offset);
    const line = before.split('\n').length;
    return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
  }

  #fail(offset: number, message: string): never {
    const before = this.#s.slice(0, offset);
    const line = before.split('\n').length;
    const col = offset - before.lastIndexOf('\n');
    throw new SpeechError('SSML_INVALID', `SSML ${this.#where(offset)}: ${message}`, { line, col }, { permanent: true, hint: `the supported subset: ${SUBSET}` });
  }
}

function sameLanguage(a: string, b: string): boolean {
  const base = (l: string) => l.toLowerCase().split(/[-_]/)[0];
  return base(a) === base(b);
}

function validDate(d: number, m: number, y: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && y >= 1000 && y <= 2999 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const RU_LETTERS: Readonly<Record<string, string>> = {
  а: 'а', б: 'бэ', в: 'вэ', г: 'гэ', д: 'дэ', е: 'е', ё: 'ё', ж: 'жэ', з: 'зэ', и: 'и', й: 'и краткое', к: 'ка', л: 'эль', м: 'эм',
  н: 'эн', о: 'о', п: 'пэ', р: 'эр', с: 'эс', т: 'тэ', у: 'у', ф: 'эф', х: 'ха', ц: 'цэ', ч: 'чэ', ш: 'ша', щ: 'ща',
  ъ: 'твёрдый знак', ы: 'ы', ь: 'мягкий знак', э: 'э', ю: 'ю', я: 'я',
};

/** "МРТ" -> "эм эр тэ"; "MRI" -> "M R I" (a lone letter is read by its name); digits one by one */
function spell(text: string, language: string): string {
  const lang = spokenLanguage(language);
  const said: string[] = [];
  for (const ch of text) {
    if (/\d/.test(ch)) said.push(cardinal(Number(ch), language));
    else if (/\p{L}/u.test(ch)) said.push(lang === 'ru' ? RU_LETTERS[ch.toLowerCase()] ?? ch : ch.toUpperCase());
  }
  return said.join(' ');
}

/** Adjacent text at one rate becomes one segment, its whitespace collapsed; empty text and zero breaks go. */
function collapse(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if ('breakMs' in s) {
      if (s.breakMs <= 0) continue;
      if (last && 'breakMs' in last) last.breakMs += s.breakMs;
      else out.push({ ...s });
    } else if (last && 'text' in last && last.rate === s.rate) {
      last.text += s.text;
    } else {
      out.push({ ...s });
    }
  }
  const result: Segment[] = [];
  for (const s of out) {
    if ('text' in s) {
      const text = s.text.replace(/\s+/g, ' ').trim();
      if (text) result.push({ text, rate: s.rate });
    } else {
      result.push(s);
    }
  }
  return result;
}
