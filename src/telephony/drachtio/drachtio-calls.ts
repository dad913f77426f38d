import Srf from 'drachtio-srf';
import { CallFailedError, maskPhone, TelephonyError, type Logger } from '../../core/index.js';
import type { SipTrunk } from '../../config/index.js';
import type { CallControl, CallLeg, LegEvents, OriginateRequest } from '../call-control.js';
import { LegStateMachine } from '../leg-state.js';
import { inviteFor, q850Cause, retryAfterMs } from './sip-headers.js';

export interface DrachtioOptions {
  /** drachtio-server's admin address and secret */
  host: string;
  port: number;
  secret: string;
  /** the trunk calls go out through */
  trunk: SipTrunk;
  /** an answered call's in-dialog OPTIONS, every so often; a far end that stops answering ends the call */
  keepAliveMs: number;
  log: Logger;
  /** how long connect() waits for drachtio-server before it rejects (then it goes on trying) */
  connectTimeoutMs?: number;
}

/** A call that is ringing: the INVITE is out, no final response yet. */
interface Pending {
  fail(err: CallFailedError): void;
}

/** An answered call. */
interface Live {
  lost(reason: string): void;
}

/** How long hangup() waits for drachtio-server to say the BYE went out. */
const BYE_WAIT_MS = 5_000;

/** Keep-alive answers that mean the dialog is gone (RFC 3261 §12.2.1.2: 481 and 408; 404 and 410 from some gateways). */
const DIALOG_GONE = new Set([404, 408, 410, 481]);

/** drachtio-srf's reconnect back-off grows by 1.7 each try; capped, so a server back after an outage is found within seconds. */
const RECONNECT_MAX_DELAY_MS = 5_000;

/**
 * The CallControl port over SIP: drachtio-srf asks a drachtio-server to send the INVITE to the
 * trunk, and tells us what comes back. Media stays in-process (our SDP offer names our RTP port).
 *
 * - One INVITE per call with our offer (PCMU, PCMA, telephone-event), From and
 *   P-Asserted-Identity with the caller id, digest credentials when the trunk challenges.
 * - 180/183 → ringing; a provisional response with SDP → early media; CANCEL when the caller's
 *   signal aborts (the ring timeout); a final non-2xx → CallFailedError with the status, the
 *   Q.850 cause of its `Reason` header and its `Retry-After`.
 * - Answered: BYE either way; re-INVITE / UPDATE with a new SDP applied to the media (488 when
 *   it makes no sense); an in-dialog OPTIONS every keepAliveMs, and a 481/408 ends the call as
 *   lost by the network.
 * - drachtio-server going away (restart, network): ringing calls fail with 503 (not counted,
 *   retried soon), answered ones are ended as lost by the network; the connection is retried with
 *   back-off, and ready() tells the dialer to place no calls meanwhile.
 */
export class DrachtioCalls implements CallControl {
  readonly #srf: Srf;
  readonly #opts: DrachtioOptions;
  readonly #log: Logger;
  readonly #pending = new Set<Pending>();
  readonly #live = new Set<Live>();
  #connected = false;
  #closed = false;
  #lastError = 'not connected yet';

  constructor(opts: DrachtioOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ telephony: 'drachtio' });
    this.#srf = new Srf();
    this.#srf.on('connect', (err: Error | null, hostport: string) => {
      if (err) {
        this.#lastError = err.message; // a wrong secret: it goes on trying, the log says why
        this.#log.error({ err: err.message }, 'drachtio-server refused us');
        return;
      }
      this.#connected = true;
      this.#log.info({ sip: hostport }, 'connected to drachtio-server');
    });
    this.#srf.on('error', (err: Error) => {
      this.#lastError = err.message;
      this.#log.debug({ err: err.message }, 'drachtio connection error');
    });
    (this.#srf as unknown as NodeJS.EventEmitter).on('close', () => this.#gone('the connection to drachtio-server closed'));
    this.#srf.connect({ host: opts.host, port: opts.port, secret: opts.secret, reconnect: { retryMaxDelay: RECONNECT_MAX_DELAY_MS } } as Srf.SrfConfig);
  }

  /** Resolves once connected; rejects with TELEPHONY_UNAVAILABLE after connectTimeoutMs (10 s). */
  async connect(): Promise<void> {
    const deadline = Date.now() + (this.#opts.connectTimeoutMs ?? 10_000);
    while (!this.#connected) {
      if (this.#closed || Date.now() >= deadline) throw this.#unavailable();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async ready(): Promise<void> {
    if (!this.#connected) throw this.#unavailable();
  }

  #unavailable(): TelephonyError {
    const { host, port } = this.#opts;
    return new TelephonyError('TELEPHONY_UNAVAILABLE', `drachtio-server at ${host}:${port} is not connected: ${this.#lastError}`, { address: `${host}:${port}` }, {
      hint: 'check that drachtio-server runs, and telephony.host, port and secret',
    });
  }

  #gone(reason: string): void {
    const was = this.#connected;
    this.#connected = false;
    this.#lastError = reason;
    if (was && !this.#closed) this.#log.error({ reason, ringing: this.#pending.size, answered: this.#live.size }, 'drachtio-server lost; reconnecting');
    for (const p of [...this.#pending]) p.fail(new CallFailedError(503, `no answer from drachtio-server (${reason})`));
    for (const l of [...this.#live]) l.lost(reason);
  }

  originate(req: OriginateRequest, on: LegEvents, signal: AbortSignal): Promise<CallLeg> {
    const { trunk } = this.#opts;
    const where = { callId: req.callId };
    if (!this.#connected) return Promise.reject(new CallFailedError(503, 'drachtio-server is not connected', where));
    const { uri, headers } = inviteFor(trunk, { to: req.to, from: req.from });
    const leg = new LegStateMachine(req.callId);
    const log = this.#log.child({ callId: req.callId, phone: maskPhone(req.to) });
    return new Promise<CallLeg>((resolve, reject) => {
      let invite: Srf.SrfRequest | null = null;
      let settled = false;
      const pending: Pending = {
        fail: (err) => {
          if (settled) return;
          settled = true;
          this.#pending.delete(pending);
          leg.tryTo('ended');
          reject(err);
        },
      };
      this.#pending.add(pending);
      const cancel = () => {
        if (!invite) return; // sent as soon as the request is out (cbRequest)
        log.debug({}, 'CANCEL');
        invite.cancel(() => {});
      };
      signal.addEventListener('abort', cancel, { once: true });

      this.#srf.createUAC(uri, {
        localSdp: req.sdpOffer,
        headers,
        ...(trunk.username && trunk.password ? { auth: { username: trunk.username, password: trunk.password } } : {}),
      }, {
        // drachtio-srf calls it (err, req), whatever its typings say
        cbRequest: ((err: unknown, sent?: Srf.SrfRequest) => {
          if (err || !sent) return;
          invite = sent;
          if (signal.aborted) cancel();
        }) as unknown as (req: Srf.SrfRequest) => void,
        cbProvisional: (res: Srf.SrfResponse) => {
          if (settled) return;
          if (res.status === 180 || res.status === 183) {
            if (leg.tryTo('ringing')) on.ringing?.();
          }
          if (res.body && /^v=0/m.test(res.body)) on.earlyMedia?.(res.body);
        },
      }).then((dialog) => {
        signal.removeEventListener('abort', cancel);
        if (settled || signal.aborted) {
          // answered after drachtio-server was lost, or a 200 that crossed our CANCEL (RFC 3261
          // §9.1): end it at once, and the call stays unanswered
          dialog.destroy(undefined, () => {});
          pending.fail(new CallFailedError(487, 'request terminated (the answer crossed our CANCEL)', where));
          return;
        }
        settled = true;
        this.#pending.delete(pending);
        leg.to('answered');
        log.debug({ sipCallId: dialog.sip?.callId }, 'answered');
        resolve(this.#answered(req.callId, dialog, leg, on, log));
      }, (err: unknown) => {
        signal.removeEventListener('abort', cancel);
        const res = (err as { res?: Srf.SrfResponse }).res;
        const status = (err as { status?: number }).status;
        if (typeof status !== 'number') {
          pending.fail(new CallFailedError(503, `drachtio-server could not send the INVITE: ${(err as Error).message ?? String(err)}`, where, { cause: err }));
          return;
        }
        const reason = res?.get('Reason');
        const q850 = q850Cause(reason);
        const retryAfter = retryAfterMs(res?.get('Retry-After'));
        log.debug({ status, q850, retryAfterMs: retryAfter }, 'INVITE failed');
        pending.fail(new CallFailedError(status, (err as Error).message || res?.reason || 'failed', where, { q850, retryAfterMs: retryAfter, cause: err }));
      });
    });
  }

  #answered(callId: string, dialog: Srf.Dialog, leg: LegStateMachine, on: LegEvents, log: Logger): CallLeg {
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const end = (by: 'callee' | 'network', reason: string) => {
      clearInterval(keepAlive);
      this.#live.delete(live);
      if (!leg.tryTo('ended')) return;
      log.debug({ by, reason }, 'call ended by the far end');
      on.hangup({ by, reason });
    };
    const live: Live = {
      lost: (reason) => end('network', reason),
    };
    this.#live.add(live);
    dialog.on('destroy', (msg: Srf.SrfRequest) => end('callee', msg?.get?.('Reason') ?? 'BYE'));
    const newOffer = (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      // an UPDATE or re-INVITE without SDP refreshes the session: 200, and no body for an UPDATE
      if (!req.body || !/^v=0/m.test(req.body)) {
        if (req.method === 'UPDATE') res.send(200);
        else res.send(200, { body: dialog.local.sdp, headers: { 'Content-Type': 'application/sdp' } });
        return;
      }
      try {
        const answer = on.remoteOffer?.(req.body) ?? dialog.local.sdp;
        dialog.local.sdp = answer;
        res.send(200, { body: answer, headers: { 'Content-Type': 'application/sdp' } });
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'far end\'s new offer refused (488)');
        res.send(488);
      }
    };
    dialog.on('modify', newOffer);
    dialog.on('update', newOffer);
    let asking = false; // one keep-alive at a time: an unanswered one takes 32 s to time out
    keepAlive = setInterval(() => {
      if (asking) return;
      asking = true;
      dialog.request({ method: 'OPTIONS' } as Srf.SrfRequest)
        .then((res) => {
          if (DIALOG_GONE.has(res.status)) {
            end('network', `keep-alive OPTIONS answered ${res.status}`);
            dialog.destroy(undefined, () => {}); // its BYE may fail too: the far end has no dialog
          }
        })
        .catch((err: unknown) => {
          if (leg.state === 'answered') log.debug({ err: (err as Error).message }, 'keep-alive OPTIONS not sent');
        })
        .finally(() => (asking = false));
    }, this.#opts.keepAliveMs);
    keepAlive.unref();
    return {
      callId,
      sdpAnswer: dialog.remote.sdp,
      get state() {
        return leg.state;
      },
      hangup: async () => {
        clearInterval(keepAlive);
        this.#live.delete(live);
        if (!leg.tryTo('ending')) return;
        // BYE; a drachtio-server that has gone away never answers, so this waits a few seconds at most
        if (this.#connected) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, BYE_WAIT_MS);
            dialog.destroy(undefined, () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        leg.tryTo('ended');
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#gone('zvonar is stopping');
    this.#srf.disconnect();
  }
}
