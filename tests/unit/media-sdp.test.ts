import { describe, expect, it } from 'vitest';
import { MediaError } from '../../src/core/index.js';
import { buildSdpAnswer, buildSdpOffer, parseSdpAnswer, parseSdpOffer } from '../../src/media/index.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** What sipp's built-in uas scenario answers with. */
const SIPP_ANSWER = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
);

/** An Asterisk-style trunk offer preferring PCMA, with G.729 and telephone-event. */
const TRUNK_OFFER = sdp(
  'v=0',
  'o=- 1 1 IN IP4 10.0.0.5',
  's=Asterisk',
  'c=IN IP4 10.0.0.5',
  't=0 0',
  'm=audio 12000 RTP/AVP 18 8 0 101',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
);

const LOCAL = { address: '192.0.2.10', port: 40000, sessionId: 4242, sessionVersion: 1 };

function thrown(fn: () => unknown): MediaError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MediaError) return err;
    throw err;
  }
  throw new Error('expected a MediaError, nothing was thrown');
}

describe('buildSdpOffer()', () => {
  it('offers PCMU, PCMA and telephone-event 0-16 on the bound address and port, 20 ms, sendrecv', () => {
    const offer = buildSdpOffer(LOCAL);
    const lines = offer.split('\r\n');
    expect(lines[0]).toBe('v=0');
    expect(lines).toContain('o=- 4242 1 IN IP4 192.0.2.10');
    expect(lines).toContain('c=IN IP4 192.0.2.10');
    expect(lines).toContain('m=audio 40000 RTP/AVP 0 8 101');
    expect(lines).toContain('a=rtpmap:0 PCMU/8000');
    expect(lines).toContain('a=rtpmap:8 PCMA/8000');
    expect(lines).toContain('a=rtpmap:101 telephone-event/8000');
    expect(lines).toContain('a=fmtp:101 0-16');
    expect(lines).toContain('a=ptime:20');
    expect(lines).toContain('a=sendrecv');
  });

  it('offers only the codecs asked for, in the order asked', () => {
    expect(buildSdpOffer({ ...LOCAL, codecs: ['PCMA'] })).toContain('m=audio 40000 RTP/AVP 8 101\r\n');
    expect(buildSdpOffer({ ...LOCAL, codecs: ['PCMA', 'PCMU'] })).toContain('m=audio 40000 RTP/AVP 8 0 101\r\n');
  });

  it('writes IN IP6 for an IPv6 address', () => {
    expect(buildSdpOffer({ ...LOCAL, address: '::1' })).toContain('c=IN IP6 ::1');
  });

  it('an offer parsed back as an offer picks PCMU, the first format, with telephone-event 101', () => {
    expect(parseSdpOffer(buildSdpOffer(LOCAL))).toMatchObject({ address: '192.0.2.10', port: 40000, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  });
});

describe('parseSdpAnswer()', () => {
  it('reads a sipp answer: address, port, PCMU, and no telephone-event', () => {
    expect(parseSdpAnswer(SIPP_ANSWER)).toMatchObject({
      address: '127.0.0.1',
      port: 6000,
      codec: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: null,
      direction: 'sendrecv',
    });
  });

  it('reads static payload types that have no rtpmap line (RFC 3551)', () => {
    const answer = SIPP_ANSWER.replace('m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000', 'm=audio 6000 RTP/AVP 8');
    expect(parseSdpAnswer(answer)).toMatchObject({ codec: 'PCMA', payloadType: 8 });
  });

  it('prefers the c= line inside m=audio over the session-level one', () => {
    const answer = `${SIPP_ANSWER}c=IN IP4 198.51.100.7\r\n`;
    expect(parseSdpAnswer(answer).address).toBe('198.51.100.7');
  });

  it('reads the direction of the stream', () => {
    expect(parseSdpAnswer(`${SIPP_ANSWER}a=recvonly\r\n`).direction).toBe('recvonly');
  });
});

describe('parseSdpOffer()', () => {
  it('picks the first of the offer\'s formats that we support, skipping G.729', () => {
    expect(parseSdpOffer(TRUNK_OFFER)).toMatchObject({ address: '10.0.0.5', port: 12000, codec: 'PCMA', payloadType: 8, dtmfPayloadType: 101 });
  });

  it('picks among only the codecs given', () => {
    expect(parseSdpOffer(TRUNK_OFFER, ['PCMU'])).toMatchObject({ codec: 'PCMU', payloadType: 0 });
  });

  it('accepts G.711 mapped to a dynamic payload type, case-insensitively', () => {
    const offer = TRUNK_OFFER.replace('RTP/AVP 18 8 0 101', 'RTP/AVP 96 101').replace('a=rtpmap:18 G729/8000', 'a=rtpmap:96 pcmu/8000');
    expect(parseSdpOffer(offer)).toMatchObject({ codec: 'PCMU', payloadType: 96 });
  });

  it('ignores telephone-event at a rate other than 8000 Hz', () => {
    const offer = TRUNK_OFFER.replace('a=rtpmap:101 telephone-event/8000', 'a=rtpmap:101 telephone-event/48000');
    expect(parseSdpOffer(offer).dtmfPayloadType).toBeNull();
  });
});

describe('buildSdpAnswer()', () => {
  it('answers with the chosen codec and telephone-event under the offer\'s payload numbers', () => {
    const offer = TRUNK_OFFER.replace('RTP/AVP 18 8 0 101', 'RTP/AVP 18 8 0 96').replaceAll(':101', ':96');
    const answer = buildSdpAnswer({ ...LOCAL, remote: parseSdpOffer(offer) });
    expect(answer).toContain('m=audio 40000 RTP/AVP 8 96\r\n');
    expect(answer).toContain('a=rtpmap:96 telephone-event/8000');
    expect(answer).toContain('a=sendrecv');
    expect(answer).not.toContain('G729');
  });

  it('keeps every m= line of the offer, rejecting the ones it does not use with port 0 (RFC 3264 §6)', () => {
    const offer = TRUNK_OFFER.replace('m=audio', 'm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio');
    const answer = buildSdpAnswer({ ...LOCAL, remote: parseSdpOffer(offer) });
    const mLines = answer.split('\r\n').filter((l) => l.startsWith('m='));
    expect(mLines).toEqual(['m=video 0 RTP/AVP 96', 'm=audio 40000 RTP/AVP 8 101']);
  });

  it('mirrors the offer\'s direction: sendonly is answered recvonly (RFC 3264 §6.1)', () => {
    const answer = buildSdpAnswer({ ...LOCAL, remote: parseSdpOffer(TRUNK_OFFER.replace('a=sendrecv', 'a=sendonly')) });
    expect(answer).toContain('a=recvonly');
  });

  it('leaves telephone-event out when the offer had none', () => {
    const answer = buildSdpAnswer({ ...LOCAL, remote: parseSdpOffer(SIPP_ANSWER) });
    expect(answer).toContain('m=audio 40000 RTP/AVP 0\r\n');
    expect(answer).not.toContain('telephone-event');
  });
});

describe('SDP that makes no sense for this engine', () => {
  const cases: { what: string; text: string; message: RegExp; line?: number }[] = [
    { what: 'an empty body', text: '', message: /not an SDP body: the first line must be "v=0"/, line: 1 },
    { what: 'a body that is not SDP', text: 'SIP/2.0 200 OK\r\n', message: /not an SDP body/, line: 1 },
    { what: 'no m=audio line', text: SIPP_ANSWER.replace('m=audio 6000 RTP/AVP 0', 'm=video 6000 RTP/AVP 96'), message: /has no m=audio line/ },
    { what: 'no m= line at all', text: sdp('v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'), message: /has no m=audio line/ },
    { what: 'an m= line that cannot be read', text: SIPP_ANSWER.replace('m=audio 6000 RTP/AVP 0', 'm=audio abc RTP/AVP 0'), message: /line 6 is not a valid m= line: "m=audio abc RTP\/AVP 0"/, line: 6 },
    { what: 'a rejected stream (port 0)', text: SIPP_ANSWER.replace('m=audio 6000', 'm=audio 0'), message: /audio stream is rejected \(m=audio port 0 on line 6\)/, line: 6 },
    { what: 'no connection address', text: SIPP_ANSWER.replace('c=IN IP4 127.0.0.1\r\n', ''), message: /no connection address/ },
    { what: 'a host name as connection address', text: SIPP_ANSWER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 pbx.example.org'), message: /"pbx.example.org" is not an IP address/, line: 4 },
    { what: 'a hold address 0.0.0.0', text: SIPP_ANSWER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0'), message: /0\.0\.0\.0 puts the stream on hold/, line: 4 },
    { what: 'SRTP (RTP/SAVP)', text: SIPP_ANSWER.replace('RTP/AVP', 'RTP/SAVP'), message: /uses RTP\/SAVP, but this engine speaks plain RTP\/AVP/, line: 6 },
    {
      what: 'no common codec',
      text: SIPP_ANSWER.replace('m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000', 'm=audio 6000 RTP/AVP 18 9\r\na=rtpmap:18 G729/8000\r\na=rtpmap:9 G722/8000'),
      message: /no common codec: m=audio lists 18 G729\/8000, 9 G722\/8000; this engine takes PCMU or PCMA at 8000 Hz/,
      line: 6,
    },
    { what: 'G.711 at a rate other than 8000 Hz', text: SIPP_ANSWER.replace('RTP/AVP 0\r\na=rtpmap:0 PCMU/8000', 'RTP/AVP 96\r\na=rtpmap:96 PCMU/16000'), message: /no common codec/ },
  ];
  for (const c of cases) {
    it(`parseSdpAnswer() of ${c.what} throws MediaError SDP_INVALID naming the problem`, () => {
      const err = thrown(() => parseSdpAnswer(c.text));
      expect(err.code).toBe('SDP_INVALID');
      expect(err.message).toMatch(/^SDP answer: /);
      expect(err.message).toMatch(c.message);
      if (c.line !== undefined) expect(err.where.line).toBe(c.line);
    });
  }

  it('parseSdpAnswer() of a codec we did not offer throws no common codec', () => {
    const err = thrown(() => parseSdpAnswer(SIPP_ANSWER, ['PCMA']));
    expect(err.message).toMatch(/no common codec: m=audio lists 0 PCMU\/8000; this engine takes PCMA/);
    expect(err.hint).toMatch(/G\.711/);
  });

  it('parseSdpOffer() names the offer in its messages', () => {
    expect(thrown(() => parseSdpOffer('')).message).toMatch(/^SDP offer: /);
  });
});
