/**
 * A callee on a line that echoes: what the robot sends comes back `echoDelayMs` later,
 * `echoLossDb` quieter (a 2-wire hybrid without an echo canceller, a speakerphone), mixed with
 * what the callee says (`speech`, from `speechAtMs` after the answer) and a little line noise.
 * The far end is a raw UDP socket sending a 20 ms PCMU packet every 20 ms, as a phone does; a
 * mixer is what an RtpSession, which queues prompts one after another, cannot be. Real UDP on
 * 127.0.0.1; the CallControl port's signalling is in-process.
 */
import { createSocket } from 'node:dgram';
import { decodeUlaw, encodeUlaw, writeRtpHeader } from '../../src/media/index.js';
import type { CallControl } from '../../src/telephony/index.js';

export interface EchoLineOptions {
  speech?: Int16Array;
  speechAtMs?: number;
  echoDelayMs: number;
  echoLossDb: number;
  /** white noise, dBFS (default -65) */
  noiseDbfs?: number;
  /** the packet time the callee's SDP asks of the robot (a=ptime), ms; none: 20 */
  ptimeMs?: number;
}

export interface EchoLine {
  calls: CallControl;
  /** ms after the answer of each 20 ms frame in which the robot's audio reached the far end above -40 dBFS */
  robotSoundAtMs: number[];
  /** the callee hangs up (the call in progress, if any) */
  hangUp(): void;
}

const FRAME = 160;

export function echoingLine(o: EchoLineOptions): EchoLine {
  const robotSoundAtMs: number[] = [];
  let hangUp = (): void => {};
  const gain = 10 ** (-o.echoLossDb / 20);
  const noise = 32768 * 10 ** ((o.noiseDbfs ?? -65) / 20);
  const calls: CallControl = {
    ready: async () => {},
    close: async () => {},
    originate: async (req, on) => {
      const m = /m=audio (\d+)/.exec(req.sdpOffer);
      if (!m) throw new Error('echoingLine: no m=audio in the offer');
      const robotPort = Number(m[1]);
      const sock = createSocket('udp4');
      await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
      const port = sock.address().port;
      on.ringing?.();
      const t0 = Date.now();
      // the echo path: each robot frame is due back at its arrival + echoDelayMs
      const echo: { due: number; pcm: Int16Array }[] = [];
      // the robot's samples, whatever its packets' size, cut into 20 ms frames
      let pending = new Int16Array(0);
      sock.on('message', (msg) => {
        if (msg.length <= 12 || (msg[1]! & 0x7f) !== 0) return;
        const more = decodeUlaw(msg.subarray(12));
        const all = new Int16Array(pending.length + more.length);
        all.set(pending);
        all.set(more, pending.length);
        let at = 0;
        for (; at + FRAME <= all.length; at += FRAME) {
          const pcm = all.slice(at, at + FRAME);
          let e = 0;
          for (const v of pcm) e += v * v;
          if (Math.sqrt(e / FRAME) > 328) robotSoundAtMs.push(Date.now() - t0);
          echo.push({ due: Date.now() + o.echoDelayMs + (at - pending.length) / 8, pcm });
        }
        pending = all.slice(at);
      });
      let seq = 1000;
      let ts = 0;
      let sent = 0;
      let seed = 12345;
      const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
      const speechAt = ((o.speechAtMs ?? 0) / 1000) * 8000;
      const tick = setInterval(() => {
        // frames fall due by the wall clock: a late timer sends the ones it owes at once
        while (sent * 20 <= Date.now() - t0) {
          const frame = new Float64Array(FRAME);
          const at = sent * FRAME;
          if (o.speech) for (let i = 0; i < FRAME; i++) frame[i] = o.speech[at + i - speechAt] ?? 0;
          const back = echo[0] && echo[0].due <= Date.now() ? echo.shift()!.pcm : null;
          for (let i = 0; i < FRAME; i++) frame[i] = frame[i]! + (back ? back[i]! * gain : 0) + noise * 3.46 * rand();
          const payload = encodeUlaw(Int16Array.from(frame, (v) => Math.max(-32768, Math.min(32767, Math.round(v)))));
          const pkt = Buffer.alloc(12 + FRAME);
          writeRtpHeader(pkt, { marker: false, payloadType: 0, sequence: (seq = (seq + 1) & 0xffff), timestamp: ts, ssrc: 0x5eed });
          pkt.set(payload, 12);
          ts = (ts + FRAME) >>> 0;
          sent++;
          sock.send(pkt, robotPort, '127.0.0.1');
        }
      }, 10);
      const sdpAnswer = [
        'v=0', `o=- 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
        `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
        ...(o.ptimeMs ? [`a=ptime:${o.ptimeMs}`] : []), 'a=sendrecv', '',
      ].join('\r\n');
      let state: 'answered' | 'ended' = 'answered';
      const end = () => {
        if (state === 'ended') return;
        state = 'ended';
        clearInterval(tick);
        sock.close();
      };
      hangUp = () => {
        if (state === 'ended') return;
        end();
        on.hangup({ by: 'callee' });
      };
      return { callId: req.callId, sdpAnswer, get state() { return state; }, hangup: async () => end() };
    },
  };
  return { calls, robotSoundAtMs, hangUp: () => hangUp() };
}
