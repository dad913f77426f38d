/**
 * VoiceKit's per-call JWT, as its examples build it (Tinkoff/voicekit-examples, auth.py /
 * auth.go / gen_jwt.sh): HS256 with the base64 secret key decoded, header kid = the API key,
 * claims iss, sub, aud (the service: "tinkoff.cloud.stt" or "tinkoff.cloud.tts") and exp (ten
 * minutes on). A token is reused until a minute before it expires.
 */
import { createHmac } from 'node:crypto';

const LIFETIME_S = 600;
const RENEW_BEFORE_S = 60;

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface JwtClaims {
  iss: string;
  sub: string;
}

export class VoiceKitJwt {
  /** by audience; an entry made with other keys (credentials rotated) is stale */
  readonly #cache = new Map<string, { keys: string; token: string; exp: number }>();

  /** A bearer token for audience aud; now in seconds (for tests). */
  token(apiKey: string, secretKey: string, claims: JwtClaims, aud: string, nowS = Math.floor(Date.now() / 1000)): string {
    const keys = `${apiKey}\u0000${secretKey}`;
    const hit = this.#cache.get(aud);
    if (hit && hit.keys === keys && hit.exp - nowS > RENEW_BEFORE_S) return hit.token;
    const exp = nowS + LIFETIME_S;
    const data = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: apiKey }))}.${b64url(JSON.stringify({ iss: claims.iss, sub: claims.sub, aud, exp }))}`;
    // Buffer's base64 decoder takes both the standard and the URL-safe alphabet, as the examples' keys come in either.
    const sig = createHmac('sha256', Buffer.from(secretKey, 'base64')).update(data).digest();
    const token = `${data}.${b64url(sig)}`;
    this.#cache.set(aud, { keys, token, exp });
    return token;
  }
}
