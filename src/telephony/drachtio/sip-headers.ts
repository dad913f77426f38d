import type { SipTrunk } from '../../config/index.js';

/**
 * The Q.850 cause in a `Reason` header (RFC 3326), e.g. `Q.850;cause=17;text="User busy"`.
 * A header may carry several reasons, comma-separated (`SIP;cause=480, Q.850;cause=19`): the
 * Q.850 one is taken. Null when there is none, or it makes no sense (a cause is 1..127).
 */
export function q850Cause(reason: string | undefined | null): number | null {
  if (!reason) return null;
  for (const part of reason.split(/,(?=\s*[A-Za-z][\w.]*\s*;)/)) {
    const m = /^\s*Q\.850\s*;(.*)$/i.exec(part);
    if (!m) continue;
    const cause = /(?:^|;)\s*cause\s*=\s*(\d{1,3})\b/i.exec(m[1]!);
    if (!cause) continue;
    const n = Number(cause[1]);
    if (n >= 1 && n <= 127) return n;
  }
  return null;
}

/**
 * `Retry-After` (RFC 3261 §20.33) in ms: delta-seconds, optionally with a comment and params
 * (`120 (maintenance);duration=3600`). Null when absent or not a number.
 */
export function retryAfterMs(header: string | undefined | null): number | null {
  if (!header) return null;
  const m = /^\s*(\d{1,9})\b/.exec(header);
  return m ? Number(m[1]) * 1000 : null;
}

/** The dialled number as the trunk wants it in the Request-URI (config: trunks[].dial). */
export function dialString(e164: string, format: SipTrunk['dial']): string {
  const digits = e164.replace(/^\+/, '');
  switch (format) {
    case 'e164':
      return `+${digits}`;
    case 'digits':
      return digits;
    case 'national8':
      // Russia's domestic trunk prefix 8; abroad, 8 then 10 (the old international prefix)
      return digits.startsWith('7') ? `8${digits.slice(1)}` : `810${digits}`;
  }
}

/** host and optional port of a trunk's address, IPv6 brackets kept. */
export function trunkHost(address: string): string {
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(address);
  return m ? m[1]! : address;
}

/** The SIP URIs and headers of one outbound INVITE through a trunk. */
export function inviteFor(trunk: SipTrunk, p: { to: string; from: string }): { uri: string; headers: Record<string, string> } {
  const transport = trunk.transport === 'tcp' ? ';transport=tcp' : '';
  const uri = `sip:${dialString(p.to, trunk.dial)}@${trunk.address}${transport}`;
  // the trunk's own caller id, when it has one, else the campaign's (trunk.from)
  const identity = `<sip:${trunk.from ?? p.from}@${trunk.domain ?? trunkHost(trunk.address)}>`;
  const headers: Record<string, string> = { From: identity, 'User-Agent': 'zvonar' };
  if (trunk.assertIdentity) headers['P-Asserted-Identity'] = identity;
  return { uri, headers };
}
