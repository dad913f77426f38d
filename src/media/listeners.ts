import type { MediaSessionEvents } from './media-session.js';

export type Listeners = { [E in keyof MediaSessionEvents]: MediaSessionEvents[E][] };

/**
 * A media session's listeners: one table for the session's life, read directly by whoever
 * dispatches (the RTP receiver, the media worker's proxy). on() and close() swap its arrays
 * instead of changing them (copy on write), so a dispatch walks the array it started with even if
 * a listener unsubscribes meanwhile.
 */
export class ListenerTable {
  readonly table: Listeners = { audio: [], dtmf: [], close: [], timeout: [] };

  on<E extends keyof MediaSessionEvents>(event: E, fn: MediaSessionEvents[E]): () => void {
    const table = this.table as unknown as Record<E, MediaSessionEvents[E][]>;
    const before: MediaSessionEvents[E][] = table[event];
    table[event] = [...before, fn];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      // close() empties the table: the array is looked up again, so a late unsubscribe is harmless
      const current: MediaSessionEvents[E][] = table[event];
      const i = current.indexOf(fn);
      if (i >= 0) table[event] = [...current.slice(0, i), ...current.slice(i + 1)];
    };
  }

  /** Drops every listener, then tells the close listeners (once: the caller closes once). */
  close(): void {
    const onClose = this.table.close;
    this.table.audio = [];
    this.table.dtmf = [];
    this.table.close = [];
    this.table.timeout = [];
    for (const fn of onClose) fn();
  }
}
