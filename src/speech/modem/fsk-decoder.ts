/**
 * The modem voice's listener: 8 kHz PCM in, carrier and message events out.
 *
 *   sample -> correlators (mark, space, 1700 Hz) -> carrier detect -> UART (8N1, bit middles) -> byte
 *   byte -> frame-reader.ts (STX, length, payload, CRC, ETX) -> message
 *
 * Everything up to the byte runs per sample in push()'s one loop, its state in locals; the frame
 * reader runs once per byte.
 */
import { MARK_HZ, SAMPLE_RATE_HZ, SAMPLES_PER_BIT, SPACE_HZ } from './bell202.js';
import { FrameReader, type ModemMessage } from './frame-reader.js';

/** What the listener heard, with offsets in samples from the first sample pushed. */
export type ModemEvent =
  /** A Bell 202 carrier began (the modem voice's "speech start"). */
  | { type: 'carrier'; atSample: number }
  /** The carrier stopped for at least 10 ms. */
  | { type: 'carrier-lost'; atSample: number }
  /** One complete frame with a valid CRC (frame-reader.ts). */
  | ModemMessage;

/*
 * Demodulator: non-coherent FSK. For each tone a complex correlation x[n]·e^(-jωn) is summed over
 * a sliding window; comparing the two magnitudes gives mark or space without knowing the phase.
 * Sums slide by adding the newest product and subtracting the one leaving the window, which the
 * ring buffers keep, so a sample costs a few multiply-adds and no allocation.
 *
 * Two windows: DEMOD_WINDOW samples (1 ms, 1.2 bits) decides bits; CARRIER_WINDOW samples (2 ms,
 * 2.4 bits) has the frequency resolution (500 Hz) to tell the tones from broadband noise or speech.
 */
const RING = 16;
const RING_MASK = RING - 1;
/**
 * 8 samples (1 ms): the tones are 1000 Hz apart, so over exactly 1 ms they are orthogonal and a
 * clean mark puts nothing in the space bin. That beats a window that fits inside one bit (6.67
 * samples). Measured on a 103-byte burst with white noise, 100 trials each, success at 10.8 /
 * 8.9 dB SNR: window 6: 97% / 57%, 7: 95% / 78%, 8: 100% / 93%, 9: 100% / 93%, 10: 99% / 83%.
 */
const DEMOD_WINDOW = 8;
const CARRIER_WINDOW = 16;
/** d crosses zero when the window is half full of the new tone: half a window after the true edge. */
const DEMOD_DELAY = DEMOD_WINDOW / 2 - 0.5;

/** Reference phasors, one period each: 1200 Hz repeats every 20 samples, 2200 Hz every 40. */
const MARK_PERIOD = SAMPLE_RATE_HZ / 400; // gcd(1200, 8000) = 400
const SPACE_PERIOD = SAMPLE_RATE_HZ / 200; // gcd(2200, 8000) = 200
const MARK_COS = phasor(MARK_HZ, MARK_PERIOD, Math.cos);
const MARK_SIN = phasor(MARK_HZ, MARK_PERIOD, Math.sin);
const SPACE_COS = phasor(SPACE_HZ, SPACE_PERIOD, Math.cos);
const SPACE_SIN = phasor(SPACE_HZ, SPACE_PERIOD, Math.sin);
const CENTRE_HZ = (MARK_HZ + SPACE_HZ) / 2;
const CENTRE_PERIOD = SAMPLE_RATE_HZ / 100; // gcd(1700, 8000) = 100
const CENTRE_COS = phasor(CENTRE_HZ, CENTRE_PERIOD, Math.cos);
const CENTRE_SIN = phasor(CENTRE_HZ, CENTRE_PERIOD, Math.sin);

/*
 * Carrier detect. Data bits put their power into the two tone bins; the channel seizure
 * (alternating bits) does not: continuous-phase alternation at 1200 baud is periodic in 2 bits
 * with a phase step, so its spectrum is lines at 1700 + 600k Hz, and a third bin at 1700 Hz
 * catches it. Each bin's share of the power over CARRIER_WINDOW, smoothed over 8 ms (min..max),
 * measured on a 103-byte modemSpeak burst, 5 s of white noise at -30 dBFS and a synthetic voiced
 * vowel (140 Hz, 24 harmonics):
 *
 *                     tone share (1200+2200)   centre share (1700)
 *   seizure           0.35..0.38               0.49..0.53
 *   data              0.52..0.88               0.08..0.39
 *   white noise       0.14..0.41 (mean 0.25)   0.05..0.27 (mean 0.13)
 *   voiced speech     0.05                     0.02
 *
 * so carrier is on when either share is clearly above noise, and level is above -40 dBFS.
 */
const SMOOTHING = 1 / 64;
const TONE_ON = 0.5;
const CENTRE_ON = 0.4;
const TONE_OFF = 0.3;
const CENTRE_OFF = 0.25;
/** Mean square of a sine of amplitude 330 (1% of full scale, -40 dBFS), over the carrier window. */
const LEVEL_ON = 330 ** 2 / 2;
const LEVEL_OFF = LEVEL_ON / 4;
/** 5 ms of carrier before it counts: a click does not. */
const ON_HOLD = 40;
/** 10 ms without carrier before it is lost: longer than any gap inside a burst. */
const OFF_HOLD = 80;
/**
 * Where the burst began. On a quiet line: where the level first rose above LEVEL_ON, less the
 * ONSET_LAG samples a burst needs, through its 2 ms fade-in, to get there (measured: 9). On a
 * noisy line the level never falls, and the smoothed shares reach the ON thresholds 89..111
 * samples after the burst starts (measured at 23..11 dB SNR), so the start is taken that far back.
 */
const ONSET_LAG = 9;
const MAX_SHARE_LAG = 100;

/**
 * Inside a frame bytes follow back to back. A mark gap of more than 12 bits ends the frame: that
 * is how the 30-bit lead mark clears whatever the UART made of the seizure's alternating bits.
 */
const MAX_BYTE_GAP = 12 * SAMPLES_PER_BIT;

const enum Uart {
  Hunt,
  Bits,
}
const NO_EVENTS: readonly ModemEvent[] = Object.freeze([]);

/**
 * Listens to 8 kHz mono PCM for modem-voice bursts (see bell202.ts). Feed it chunks of any size,
 * e.g. 160-sample RTP frames; the result does not depend on how the stream is cut. Frames whose
 * CRC, length or framing is wrong are dropped. One listener per stream; push() does not allocate
 * unless it has events to return.
 */
export class ModemListener {
  // Correlator state: products in rings, sliding sums over DEMOD_WINDOW (d*) and CARRIER_WINDOW (c*).
  readonly #markI = new Float64Array(RING);
  readonly #markQ = new Float64Array(RING);
  readonly #spaceI = new Float64Array(RING);
  readonly #spaceQ = new Float64Array(RING);
  readonly #centreI = new Float64Array(RING);
  readonly #centreQ = new Float64Array(RING);
  readonly #power = new Float64Array(RING);
  #n = 0;
  #markPhase = 0;
  #spacePhase = 0;
  #centrePhase = 0;
  #dmI = 0;
  #dmQ = 0;
  #dsI = 0;
  #dsQ = 0;
  #cmI = 0;
  #cmQ = 0;
  #csI = 0;
  #csQ = 0;
  #ccI = 0;
  #ccQ = 0;
  #cPower = 0;
  #prevD = 0;
  // Carrier detect.
  #toneShare = 0;
  #centreShare = 0;
  #carrier = false;
  #run = 0;
  #runStart = 0;
  #loud = false;
  #loudSince = 0;
  // UART.
  #uart = Uart.Hunt;
  #huntSince = 0;
  #nextBitAt = 0;
  #bitIndex = 0;
  #shift = 0;
  #byteEdge = 0;
  // Frame.
  readonly #frames = new FrameReader();
  #events: ModemEvent[] = [];

  /** Samples consumed so far; the offset the next pushed sample will have. */
  get samples(): number {
    return this.#n;
  }

  /** true while a carrier is present. */
  get carrier(): boolean {
    return this.#carrier;
  }

  /** Consumes a chunk; returns the events it completed, in order (a shared empty array when none). */
  push(pcm: Int16Array): readonly ModemEvent[] {
    // Hot loop: state in locals, written back at the end.
    const markI = this.#markI;
    const markQ = this.#markQ;
    const spaceI = this.#spaceI;
    const spaceQ = this.#spaceQ;
    const centreI = this.#centreI;
    const centreQ = this.#centreQ;
    const power = this.#power;
    let n = this.#n;
    let mp = this.#markPhase;
    let sp = this.#spacePhase;
    let cp = this.#centrePhase;
    let dmI = this.#dmI;
    let dmQ = this.#dmQ;
    let dsI = this.#dsI;
    let dsQ = this.#dsQ;
    let cmI = this.#cmI;
    let cmQ = this.#cmQ;
    let csI = this.#csI;
    let csQ = this.#csQ;
    let ccI = this.#ccI;
    let ccQ = this.#ccQ;
    let cPower = this.#cPower;
    let prevD = this.#prevD;
    let toneShare = this.#toneShare;
    let centreShare = this.#centreShare;

    for (let k = 0; k < pcm.length; k++, n++) {
      const x = pcm[k] as number;
      const at = n & RING_MASK;
      const old = (n - DEMOD_WINDOW) & RING_MASK;
      const pmI = x * (MARK_COS[mp] as number);
      const pmQ = x * (MARK_SIN[mp] as number);
      const psI = x * (SPACE_COS[sp] as number);
      const psQ = x * (SPACE_SIN[sp] as number);
      const pcI = x * (CENTRE_COS[cp] as number);
      const pcQ = x * (CENTRE_SIN[cp] as number);
      const px = x * x;
      if (++mp === MARK_PERIOD) mp = 0;
      if (++sp === SPACE_PERIOD) sp = 0;
      if (++cp === CENTRE_PERIOD) cp = 0;

      // Before it is overwritten, the slot at `at` holds the product from CARRIER_WINDOW samples ago.
      dmI += pmI - (markI[old] as number);
      dmQ += pmQ - (markQ[old] as number);
      dsI += psI - (spaceI[old] as number);
      dsQ += psQ - (spaceQ[old] as number);
      cmI += pmI - (markI[at] as number);
      cmQ += pmQ - (markQ[at] as number);
      csI += psI - (spaceI[at] as number);
      csQ += psQ - (spaceQ[at] as number);
      ccI += pcI - (centreI[at] as number);
      ccQ += pcQ - (centreQ[at] as number);
      cPower += px - (power[at] as number);
      markI[at] = pmI;
      markQ[at] = pmQ;
      spaceI[at] = psI;
      spaceQ[at] = psQ;
      centreI[at] = pcI;
      centreQ[at] = pcQ;
      power[at] = px;

      const d = dmI * dmI + dmQ * dmQ - (dsI * dsI + dsQ * dsQ);
      // A pure tone of amplitude A has |S|^2 = (W A / 2)^2 and power sum W A^2 / 2 over W samples,
      // so |S|^2 * 2 / (W * power sum) is its bin's share of the power: 1 for the tone itself.
      // The shares themselves are smoothed (not |S|^2 and power apart), so that after a burst
      // they fall to the noise's share in about 2 time constants whatever the signal-to-noise ratio.
      const share = cPower > 0 ? 2 / (CARRIER_WINDOW * cPower) : 0;
      toneShare += ((cmI * cmI + cmQ * cmQ + csI * csI + csQ * csQ) * share - toneShare) * SMOOTHING;
      centreShare += ((ccI * ccI + ccQ * ccQ) * share - centreShare) * SMOOTHING;
      // The level uses the unsmoothed window, so silence after a burst is seen within 2 ms.
      const level = cPower / CARRIER_WINDOW;

      if (!this.#carrier) {
        if (level > LEVEL_ON) {
          if (!this.#loud) {
            this.#loud = true;
            this.#loudSince = n - ONSET_LAG;
          }
        } else {
          this.#loud = false;
        }
        if (this.#loud && (toneShare > TONE_ON || centreShare > CENTRE_ON)) {
          if (this.#run++ === 0) this.#runStart = n;
          if (this.#run >= ON_HOLD) this.#carrierOn(Math.max(0, this.#loudSince, this.#runStart - MAX_SHARE_LAG));
        } else {
          this.#run = 0;
        }
        prevD = d;
        continue;
      }
      if (level < LEVEL_OFF || (toneShare < TONE_OFF && centreShare < CENTRE_OFF)) {
        if (this.#run++ === 0) this.#runStart = n;
        if (this.#run >= OFF_HOLD) {
          this.#carrierOff(this.#runStart);
          prevD = d;
          continue;
        }
      } else {
        this.#run = 0;
      }

      // UART: find the start bit's leading edge, then sample each bit in its middle.
      if (this.#uart === Uart.Hunt) {
        if (prevD > 0 && d <= 0) {
          // Edge between n - 1 and n, interpolated; the sums lag the signal by DEMOD_DELAY.
          const cross = n - 1 + prevD / (prevD - d);
          this.#byteEdge = cross - DEMOD_DELAY;
          // Middle of bit b in sum time: edge + (b + 0.5) bits - 0.5, see DEMOD_DELAY.
          this.#nextBitAt = cross + SAMPLES_PER_BIT / 2 - 0.5;
          this.#bitIndex = 0;
          this.#shift = 0;
          this.#uart = Uart.Bits;
        } else if (this.#frames.inFrame && n - this.#huntSince > MAX_BYTE_GAP) {
          this.#frames.drop();
        }
      } else if (n >= this.#nextBitAt) {
        const bit = d > 0 ? 1 : 0;
        const b = this.#bitIndex++;
        this.#nextBitAt += SAMPLES_PER_BIT;
        if (b === 0) {
          // A start bit that is mark in its middle was a glitch, not a start bit.
          if (bit) this.#hunt(n);
        } else if (b <= 8) {
          this.#shift |= bit << (b - 1);
        } else {
          this.#hunt(n);
          if (bit) this.#onByte(this.#shift);
          else this.#frames.drop(); // framing error: stop bit is space
        }
      }
      prevD = d;
    }

    this.#n = n;
    this.#markPhase = mp;
    this.#spacePhase = sp;
    this.#centrePhase = cp;
    this.#dmI = dmI;
    this.#dmQ = dmQ;
    this.#dsI = dsI;
    this.#dsQ = dsQ;
    this.#cmI = cmI;
    this.#cmQ = cmQ;
    this.#csI = csI;
    this.#csQ = csQ;
    this.#ccI = ccI;
    this.#ccQ = ccQ;
    this.#cPower = cPower;
    this.#prevD = prevD;
    this.#toneShare = toneShare;
    this.#centreShare = centreShare;
    return this.#take();
  }

  /** The stream ended: a carrier still on is reported lost at the last sample. */
  end(): readonly ModemEvent[] {
    if (this.#carrier) this.#carrierOff(this.#n);
    return this.#take();
  }

  #take(): readonly ModemEvent[] {
    if (this.#events.length === 0) return NO_EVENTS;
    const events = this.#events;
    this.#events = [];
    return events;
  }

  #carrierOn(atSample: number): void {
    this.#carrier = true;
    this.#run = 0;
    this.#frames.burst(atSample);
    this.#hunt(this.#n);
    this.#events.push({ type: 'carrier', atSample });
  }

  #carrierOff(atSample: number): void {
    this.#carrier = false;
    this.#run = 0;
    this.#uart = Uart.Hunt;
    this.#frames.drop();
    this.#events.push({ type: 'carrier-lost', atSample });
  }

  #hunt(n: number): void {
    this.#uart = Uart.Hunt;
    this.#huntSince = n;
  }

  #onByte(b: number): void {
    const message = this.#frames.byte(b, this.#byteEdge);
    if (message) this.#events.push(message);
  }
}

function phasor(hz: number, period: number, fn: (rad: number) => number): Float64Array {
  const table = new Float64Array(period);
  for (let i = 0; i < period; i++) table[i] = fn((2 * Math.PI * hz * i) / SAMPLE_RATE_HZ);
  return table;
}
