import type { Db } from '../../src/registry/index.js';

/**
 * A registry connection that can be cut, to play a dialer's crash or an outage in-process:
 * kill() makes every later query fail as a process that vanished would (nothing it does reaches
 * the database again); outage(true) fails queries until outage(false), as PostgreSQL going
 * away and coming back; killAfterCommit(re) kills right after the transaction that ran a
 * statement matching `re` has committed (e.g. a crash between a booking and the hang-up);
 * refuse(re) fails just the statements matching `re`; hang(true) holds every statement until
 * hang(false), as a network cut does.
 * Only the connection is faked: the database behind it is the real one.
 */
export function faultyDb(db: Db) {
  let dead = false;
  let down = false;
  let trigger: RegExp | null = null;
  let refused: RegExp | null = null;
  let gate: { wait: Promise<void>; open: () => void } | null = null;
  const held = async () => {
    if (gate) await gate.wait;
  };
  const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), { errno: -104 });
  const check = () => {
    if (dead || down) throw lost();
  };
  /** onHit: a statement matching the kill trigger went through (alone it has committed; in a transaction, at its commit) */
  const wrap = (inner: Db, onHit: () => void): Db => ({
    kind: inner.kind,
    async query(sql, params) {
      await held();
      check();
      if (refused?.test(sql)) throw lost();
      const r = await inner.query(sql, params);
      check();
      if (trigger?.test(sql)) onHit();
      return r as never;
    },
    async exec(sql) {
      check();
      await inner.exec(sql);
    },
    tx: (fn) => (inner === db ? top.tx(fn) : fn(wrap(inner, onHit))),
    close: async () => {},
  });
  const top: Db = {
    ...wrap(db, () => void (dead = true)),
    async tx(fn) {
      await held();
      check();
      let hit = false;
      const out = await db.tx((t) => fn(wrap(t, () => void (hit = true))));
      if (hit) dead = true;
      check();
      return out;
    },
  };
  return {
    db: top,
    kill: () => void (dead = true),
    outage: (on: boolean) => void (down = on),
    killAfterCommit: (re: RegExp) => void (trigger = re),
    /** hang(true): every statement waits, as on a cut network, until hang(false) */
    hang: (on: boolean) => {
      if (on && !gate) {
        let open = () => {};
        const wait = new Promise<void>((r) => (open = r));
        gate = { wait, open };
      } else if (!on && gate) {
        gate.open();
        gate = null;
      }
    },
    /** statements matching `re` fail as if the connection dropped (null: none) */
    refuse: (re: RegExp | null) => void (refused = re),
    get dead() {
      return dead;
    },
  };
}
