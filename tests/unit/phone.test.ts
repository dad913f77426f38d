import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { maskPhone, seededRandom, toE164 } from '../../src/core/index.js';

/** toE164 reads a Russian mobile number itself (a million-row import's hot path); libphonenumber reads the rest. Both must agree. */
const library = (s: string) => {
  const p = parsePhoneNumberFromString(s.trim(), 'RU');
  return p?.isValid() ? p.number : null;
};

describe('toE164', () => {
  it('reads Russian mobile numbers as Russian lists write them exactly as libphonenumber does', () => {
    const random = seededRandom(7);
    for (let pre = 900; pre <= 999; pre++) {
      for (let k = 0; k < 5; k++) {
        const tail = String(Math.floor(random() * 1e7)).padStart(7, '0');
        const d = `${pre}${tail}`;
        for (const f of [`+7${d}`, `8${d}`, `7${d}`, d, `8 (${pre}) ${tail.slice(0, 3)}-${tail.slice(3, 5)}-${tail.slice(5)}`, ` +7 ${pre} ${tail} `, `8-${pre}-${tail}`]) {
          expect(toE164(f), f).toBe(library(f));
        }
      }
    }
  });

  it('leaves landlines, foreign numbers and junk to libphonenumber: the same answers, and junk refused without quoting it whole', () => {
    for (const f of ['8 (863) 201-23-45', '+7 863 201 23 45', '+49 30 901820', '+375 29 123-45-67']) expect(toE164(f)).toBe(library(f));
    for (const f of ['12345', '8 900 123', '+7 999 123 45 678', 'звоните', '']) {
      expect(() => toE164(f)).toThrow(/is not a valid phone number/);
    }
    expect(maskPhone('+79181234567')).toBe('+7918***4567');
  });
});
