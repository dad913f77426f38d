import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hash, verify } from '@node-rs/argon2';
import { ZvonarError, type Clock } from '../core/index.js';
import type { HandoffView } from '../operator/index.js';
import { accountForLogin, endSession, sessionAccount, startSession, type Account, type Db, type Role } from '../registry/index.js';

/** Who is asking: a person signed in (with their account) or a machine client (a token from config). */
export interface Principal {
  /** what the audit log says: the login, or token:<name> */
  actor: string;
  role: Role;
  account: Account | null;
}

export const COOKIE = 'zvonar_session';
/** Passwords shorter than this are refused when an account is made. */
export const MIN_PASSWORD = 8;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** argon2id with the library's defaults (OWASP's 19 MiB, 2 passes). */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD) throw new ZvonarError('ACCOUNT_INVALID', `a password needs at least ${MIN_PASSWORD} characters`, { path: 'password' });
  return hash(password);
}

export interface AuthOptions {
  db: Db;
  clock: Clock;
  sessionHours: number;
  tokens: readonly { name: string; role: Role; sha256: string }[];
}

/**
 * Sign-in by password (a session cookie: a random token, only its SHA-256 stored, expiring after
 * sessionHours), and machine clients by bearer token (config operators.tokens keeps SHA-256s).
 */
export class Auth {
  readonly #o: AuthOptions;
  constructor(o: AuthOptions) {
    this.#o = o;
  }

  /** A new session for a login and password; null when either is wrong (the caller says which is unknown to nobody). */
  async signIn(login: string, password: string): Promise<{ token: string; account: Account; maxAgeS: number } | null> {
    const found = await accountForLogin(this.#o.db, login);
    // the same work whether or not the login exists: timing tells nothing
    dummy ??= hash(randomBytes(16).toString('hex'));
    const ok = await verify(found ? found.passwordHash : await dummy, password).catch(() => false);
    if (!found || !ok) return null;
    const token = randomBytes(32).toString('base64url');
    const now = this.#o.clock.now();
    const maxAgeS = Math.round(this.#o.sessionHours * 3600);
    await startSession(this.#o.db, { tokenHash: sha256(token), accountId: found.id, now: new Date(now), expiresAt: new Date(now + maxAgeS * 1000) });
    const { passwordHash: _, ...account } = found;
    return { token, account, maxAgeS };
  }

  async signOut(req: IncomingMessage): Promise<void> {
    const token = cookie(req, COOKIE);
    if (token) await endSession(this.#o.db, sha256(token));
  }

  /** Who sent the request; rejects with AUTH_REQUIRED when nobody valid did. */
  async who(req: IncomingMessage): Promise<Principal> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      const h = Buffer.from(sha256(bearer), 'hex');
      const t = this.#o.tokens.find((x) => timingSafeEqual(Buffer.from(x.sha256, 'hex'), h));
      if (t) return { actor: `token:${t.name}`, role: t.role, account: null };
      throw new ZvonarError('AUTH_REQUIRED', 'the bearer token is not one of operators.tokens', {});
    }
    const token = cookie(req, COOKIE);
    const account = token ? await sessionAccount(this.#o.db, { tokenHash: sha256(token), now: new Date(this.#o.clock.now()) }) : null;
    if (!account) throw new ZvonarError('AUTH_REQUIRED', token ? 'the session expired or was ended: sign in again' : 'sign in first', {});
    return { actor: account.login, role: account.role, account };
  }
}

/** A hash of a random password: verified against when the login does not exist. */
let dummy: Promise<string> | null = null;

export function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

/**
 * A handed-off call as this person may see it: the patient, the slots offered and the transcript
 * only for the operator it is offered to or who took it; to everyone else the queue entry alone.
 */
export function visibleTo(who: Principal, h: HandoffView): HandoffView {
  if (who.role === 'operator' && h.operator === who.account?.id) return h;
  return { ...h, context: { ...h.context, patient: { ...h.context.patient, name: '—' }, offered: [] }, transcript: [] };
}
