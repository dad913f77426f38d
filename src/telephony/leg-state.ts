import { InvalidStateError } from '../core/index.js';

/**
 * One outbound call leg, as SIP sees it (RFC 3261 INVITE client transaction, then the dialog):
 *
 *   dialing --180/183--> ringing --200--> answered --BYE sent--> ending --> ended
 *      |                    |               |
 *      +--------------------+---------------+--- final non-2xx / CANCEL / BYE received --> ended
 */
export type LegState = 'dialing' | 'ringing' | 'answered' | 'ending' | 'ended';

const NEXT: Readonly<Record<LegState, readonly LegState[]>> = {
  dialing: ['ringing', 'answered', 'ended'],
  ringing: ['answered', 'ended'],
  answered: ['ending', 'ended'],
  ending: ['ended'],
  ended: [],
};

export class LegStateMachine {
  #state: LegState = 'dialing';
  readonly #id: string;

  constructor(id: string) {
    this.#id = id;
  }

  get state(): LegState {
    return this.#state;
  }

  /** Moves on; throws InvalidStateError on a move the diagram does not allow. */
  to(next: LegState): void {
    if (!NEXT[this.#state].includes(next)) throw new InvalidStateError(`leg ${this.#id}: ${this.#state} -> ${next}`, { callId: this.#id });
    this.#state = next;
  }

  /** Moves on if allowed; false (and no change) otherwise. For races such as BYE crossing BYE. */
  tryTo(next: LegState): boolean {
    if (!NEXT[this.#state].includes(next)) return false;
    this.#state = next;
    return true;
  }
}
