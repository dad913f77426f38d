// The media folder's surface: the port and the pure codecs. The UDP adapter (rtp-session.ts and
// its parts: port-allocator.ts, rtp-sender.ts, rtp-receiver.ts) is not re-exported; only src/app
// imports it.
export type { Codec, MediaFactory, MediaSession, MediaSessionEvents, MediaStats } from './media-session.js';
export {
  ALAW_TO_LINEAR,
  ULAW_TO_LINEAR,
  G711_DECODE_TABLE,
  alawToLinear,
  decodeAlaw,
  decodeG711,
  decodeUlaw,
  encodeAlaw,
  encodeG711,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from './g711.js';
export {
  CODEC_PAYLOAD_TYPE,
  DEFAULT_DTMF_PAYLOAD_TYPE,
  SUPPORTED_CODECS,
  buildSdpAnswer,
  buildSdpOffer,
  parseSdpAnswer,
  parseSdpOffer,
} from './sdp.js';
export type { Direction, LocalSdp, MLineSummary, RemoteMedia } from './sdp.js';
export { RTP_HEADER_BYTES, createRtpPacketView, parseRtp, writeRtpHeader } from './rtp-packet.js';
export type { RtpHeader, RtpPacketView } from './rtp-packet.js';
export { EarlyMediaClassifier } from './early-media.js';
export type { EarlyMediaKind, EarlyMediaVerdict } from './early-media.js';
export { Vad, type VadEvent, type VadOptions } from './vad.js';
export { AnsweringMachineDetector, SCREENING_CUES, type AmdOptions, type AmdVerdict } from './amd.js';
export { rtpTraffic, SpacingHistogram } from './rtp-traffic.js';
