import { describe, expect, it } from 'vitest';
import { SipTrunk } from '../../src/config/index.js';
import { dialString, inviteFor, q850Cause, retryAfterMs } from '../../src/telephony/drachtio/sip-headers.js';

describe('SIP headers of the drachtio adapter', () => {
  it('reads the Q.850 cause of a Reason header (RFC 3326), among several reasons, and nothing else', () => {
    expect(q850Cause('Q.850;cause=17;text="User busy"')).toBe(17);
    expect(q850Cause('SIP;cause=480;text="Temporarily Unavailable", Q.850;cause=20')).toBe(20);
    expect(q850Cause('q.850 ; Cause = 31')).toBe(31);
    expect(q850Cause('SIP;cause=200;text="Call completed elsewhere"')).toBeNull();
    for (const junk of [undefined, null, '', 'Q.850', 'Q.850;cause=', 'Q.850;cause=0', 'Q.850;cause=128', 'Q.850;cause=abc', 'Q.850;text="cause=17"'])
      expect(q850Cause(junk)).toBeNull();
  });
  it('reads Retry-After as ms, with or without a comment and parameters', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('18000;duration=3600')).toBe(18_000_000);
    expect(retryAfterMs('120 (I\'m in a meeting)')).toBe(120_000);
    for (const junk of [undefined, null, '', 'soon', '-5']) expect(retryAfterMs(junk)).toBeNull();
  });
  it('dials a number as the trunk wants it: E.164, bare digits, or 8 and the national number', () => {
    expect(['e164', 'digits', 'national8'].map((f) => dialString('+79001234567', f as 'e164'))).toEqual(['+79001234567', '79001234567', '89001234567']);
    expect(dialString('+375291234567', 'national8')).toBe('810375291234567');
  });
  it('puts the caller id in From and P-Asserted-Identity, the trunk\'s own one first, on the trunk\'s domain', () => {
    const trunk = SipTrunk.parse({ name: 'mts', address: 'sip.example.ru:5060', dial: 'national8' });
    expect(inviteFor(trunk, { to: '+79001234567', from: '+78632000000' })).toEqual({
      uri: 'sip:89001234567@sip.example.ru:5060',
      headers: { From: '<sip:+78632000000@sip.example.ru>', 'P-Asserted-Identity': '<sip:+78632000000@sip.example.ru>', 'User-Agent': 'zvonar' },
    });
    const own = SipTrunk.parse({ name: 'b', address: '10.0.0.5', transport: 'tcp', from: '+78632111111', domain: 'clinic.ru', assertIdentity: false });
    expect(inviteFor(own, { to: '+79001234567', from: '+78632000000' })).toEqual({
      uri: 'sip:+79001234567@10.0.0.5;transport=tcp',
      headers: { From: '<sip:+78632111111@clinic.ru>', 'User-Agent': 'zvonar' },
    });
  });
});
