import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { ZvonarError } from './errors.js';

/**
 * Turns a number as clinics write it ("8 (863) 201-23-45", "+7 918 ...") into E.164.
 * Rejects with PHONE_INVALID naming the input when it is not a possible number.
 */
export function toE164(raw: string, defaultCountry: CountryCode = 'RU'): string {
  const trimmed = raw.trim();
  // The common case of a Russian list, a mobile number (+7 9xx, 8 9xx, 9xx with spaces, dashes,
  // brackets), is read here: libphonenumber's validation costs half of a million-row import.
  // tests/unit/phone.test.ts checks both agree on such numbers.
  if (defaultCountry === 'RU') {
    const m = RU_MOBILE.exec(trimmed.replace(SEPARATORS, ''));
    if (m) return `+7${m[1]}`;
  }
  const parsed = trimmed ? parsePhoneNumberFromString(trimmed, defaultCountry) : undefined;
  if (!parsed || !parsed.isValid()) {
    throw new ZvonarError('PHONE_INVALID', `"${maskRaw(trimmed)}" is not a valid phone number for ${defaultCountry}`, {}, {
      hint: 'write it as +7XXXXXXXXXX or 8XXXXXXXXXX',
    });
  }
  return parsed.number;
}

const SEPARATORS = /[\s\-()]/g;
/** +7 or 8 (or nothing), then a mobile number: 9 and nine digits (RU's mobile range in libphonenumber's metadata) */
const RU_MOBILE = /^(?:\+7|8|7)?(9\d{9})$/;

/** "+79181234567" -> "+7918***4567": enough to tell calls apart in logs, not enough to dial. */
export function maskPhone(phone: string): string {
  if (phone.length <= 8) return phone.replace(/\d/g, '*');
  return `${phone.slice(0, 5)}***${phone.slice(-4)}`;
}

function maskRaw(s: string): string {
  return s.length > 6 ? `${s.slice(0, 3)}…${s.slice(-2)}` : s;
}
