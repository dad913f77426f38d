/**
 * The far side of the capacity bench, in its own process so that its CPU is not zvonar's
 * (bench/capacity.ts forks it with one role):
 *
 *   speech   the reference speech server on 127.0.0.1 (modem voice), its address sent back
 *   callees  the simulated network's callees (SimNetwork: real UDP RTP, the modem voice), driven
 *            over the IPC channel by ChildCallControl in the parent
 *   echo     N UDP sockets that each send one 172-byte packet every 20 ms to a port of the
 *            parent's, for the raw dgram floor the parent measures itself against
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { CallFailedError } from '../src/core/index.js';
import { createRtpMediaFactory } from '../src/media/rtp-session.js';
import type { PersonaName } from '../src/sim/index.js';
import { SimNetwork } from '../src/sim/sim-network.js';
import { startReferenceSpeechServer } from '../src/speech/server/index.js';
import type { CallLeg } from '../src/telephony/index.js';

/** parent -> child (callees) */
export type ToCallees =
  | { t: 'call'; id: string; to: string; from: string; sdp: string; persona: PersonaName }
  | { t: 'cancel'; id: string }
  | { t: 'bye'; id: string }
  | { t: 'cpu' };
/** child (callees) -> parent */
export type FromCallees =
  | { t: 'ringing'; id: string }
  | { t: 'answer'; id: string; sdp: string }
  | { t: 'fail'; id: string; status: number; reason: string }
  | { t: 'bye'; id: string }
  | { t: 'cpu'; cpuMs: number };

function send(msg: unknown): void {
  process.send!(msg);
}

async function callees(): Promise<void> {
  const legs = new Map<string, { ring: AbortController; leg: CallLeg | null }>();
  const personas = new Map<string, PersonaName>();
  const sim = new SimNetwork({
    personaOf: (phone) => personas.get(phone),
    // a phone without silence suppression: G.711 both ways all the call long
    media: createRtpMediaFactory({ host: '127.0.0.1', portMin: 30_000, portMax: 39_998, keepSending: true, echoSuppression: false }),
    answerDelayMs: 100,
  });
  process.on('message', (msg: ToCallees) => {
    if (msg.t === 'cpu') {
      const u = process.cpuUsage();
      send({ t: 'cpu', cpuMs: (u.user + u.system) / 1000 } satisfies FromCallees);
    } else if (msg.t === 'call') {
      personas.set(msg.to, msg.persona);
      const entry = { ring: new AbortController(), leg: null as CallLeg | null };
      legs.set(msg.id, entry);
      sim.originate({ callId: msg.id, to: msg.to, from: msg.from, sdpOffer: msg.sdp }, {
        ringing: () => send({ t: 'ringing', id: msg.id } satisfies FromCallees),
        hangup: () => {
          legs.delete(msg.id);
          send({ t: 'bye', id: msg.id } satisfies FromCallees);
        },
      }, entry.ring.signal).then((leg) => {
        entry.leg = leg;
        send({ t: 'answer', id: msg.id, sdp: leg.sdpAnswer } satisfies FromCallees);
      }, (err: unknown) => {
        legs.delete(msg.id);
        const status = err instanceof CallFailedError ? err.sipStatus : 500;
        send({ t: 'fail', id: msg.id, status, reason: (err as Error).message } satisfies FromCallees);
      });
    } else if (msg.t === 'cancel') {
      legs.get(msg.id)?.ring.abort();
    } else if (msg.t === 'bye') {
      const entry = legs.get(msg.id);
      legs.delete(msg.id);
      void entry?.leg?.hangup();
    }
  });
  process.on('disconnect', () => {
    void sim.close().then(() => process.exit(0));
  });
  send({ t: 'ready' });
}

async function speech(): Promise<void> {
  const server = await startReferenceSpeechServer({ host: '127.0.0.1', port: 0 });
  process.on('disconnect', () => {
    void server.close().then(() => process.exit(0));
  });
  send({ t: 'ready', address: server.address });
}

/** parent -> child (echo): start sending to these ports for durationMs */
export interface EchoLoad { t: 'start'; ports: number[]; durationMs: number }

async function echo(): Promise<void> {
  process.on('message', (msg: EchoLoad) => {
    const sockets: Socket[] = msg.ports.map((port) => {
      const s = createSocket('udp4');
      s.connect(port, '127.0.0.1');
      return s;
    });
    const packet = Buffer.alloc(172, 0xff);
    let sent = 0;
    const t0 = performance.now();
    let tick = 0;
    const step = () => {
      if (performance.now() - t0 >= msg.durationMs) {
        for (const s of sockets) s.close();
        send({ t: 'done', sent });
        return;
      }
      for (const s of sockets) {
        s.send(packet);
        sent++;
      }
      tick++;
      setTimeout(step, Math.max(0, t0 + tick * 20 - performance.now()));
    };
    // every socket connects first (a send before it would throw)
    setTimeout(step, 100);
  });
  process.on('disconnect', () => process.exit(0));
  send({ t: 'ready' });
}

const role = process.argv[2];
if (role === 'callees') await callees();
else if (role === 'speech') await speech();
else if (role === 'echo') await echo();
else throw new Error(`capacity-child: unknown role "${role}"`);
