/**
 * Access tokens: JWTs signed with HS256 and `SECRET_KEY`, claims `sub` (user id), `iat`, `exp` (30 days),
 * `typ: "access"` and `auth_time` (Unix seconds of the last interactive sign-in, carried unchanged through
 * refreshes; tokens issued before it existed count their `iat`). Verification pins the algorithm, so
 * `alg: none` and every other algorithm are refused.
 *
 * Tokens of the original backend (docs/migrating.md) are accepted too while `ORIGINAL_SECRET_KEY` is set: HS256
 * with that key, claims `sub`, `exp`, `type: "access"` and `auth_time` (no `iat`, no `typ`). They open every
 * door ours open and are renewed by `/auth/refresh` into ours, keeping their `auth_time`.
 *
 * Verifying a signature costs tens of microseconds, which matters at thousands of requests per second. A
 * token that verified once is therefore remembered (keyed by its full text, signature included) until it
 * expires; the expiry is still checked against the clock on every use.
 */
import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { unauthorized } from '../errors.js';
import type { Clock } from './clock.js';

export const ACCESS_TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * How long a chain of refreshes may run after an interactive sign-in: no token expires later than this
 * after its `auth_time`, and past it a session cannot be renewed (the user signs in again).
 */
export const SESSION_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;
const ALGORITHM = 'HS256';
const TOKEN_TYPE = 'access';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Enough for every active user of a busy day; a miss only costs one signature check. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/** What a valid token says. */
export interface TokenClaims {
  userId: string;
  /** The last interactive sign-in (`auth_time`, else `iat` for tokens issued before `auth_time` existed). */
  authTime: Date;
}

interface VerifiedToken extends TokenClaims {
  expiresAtMs: number;
}

/**
 * The original backend's access tokens without `auth_time` (issued before its 2026-07 hardening) all lived
 * 30 days, so their issue time, the best known start of their session, is `exp` minus this.
 */
const ORIGINAL_UNDATED_TOKEN_LIFETIME_S = 30 * 24 * 60 * 60;
const ORIGINAL_TOKEN_TYPE = 'access';

/** An HMAC key as jose wants it; an imported CryptoKey verifies twice as fast as raw bytes. */
function hmacKey(secret: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

export class TokenService {
  readonly #key: Promise<webcrypto.CryptoKey>;
  /** The original backend's key (`ORIGINAL_SECRET_KEY`): verification only, never signing. */
  readonly #originalKey: Promise<webcrypto.CryptoKey> | null;
  readonly #verified = new Map<string, VerifiedToken>();

  constructor(
    secret: string,
    private readonly clock: Clock,
    originalSecret: string | null = null,
  ) {
    this.#key = hmacKey(secret);
    this.#originalKey = originalSecret === null ? null : hmacKey(originalSecret);
  }

  /**
   * A token for `userId`. `authTime` is the interactive sign-in the session started with: now (the default)
   * for a sign-in, the old token's for a refresh. The expiry is capped at `authTime + SESSION_MAX_AGE_MS`.
   */
  async issue(userId: string, authTime?: Date): Promise<AccessToken> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const authTimeS = authTime === undefined ? issuedAt : Math.floor(authTime.getTime() / 1000);
    const expiresAt = Math.min(issuedAt + ACCESS_TOKEN_LIFETIME_MS / 1000, authTimeS + SESSION_MAX_AGE_MS / 1000);
    const token = await new SignJWT({ typ: TOKEN_TYPE, auth_time: authTimeS })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(await this.#key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The user id of a valid access token; throws 401 for anything else. */
  async verify(token: string): Promise<string> {
    return (await this.claims(token)).userId;
  }

  /** The claims of a valid access token; throws 401 for anything else. */
  async claims(token: string): Promise<TokenClaims> {
    const now = this.clock.now();
    const known = this.#verified.get(token);
    if (known) {
      if (known.expiresAtMs > now.getTime()) return { userId: known.userId, authTime: known.authTime };
      this.#verified.delete(token);
      throw invalidToken();
    }
    const verified = (await this.#ours(token, now)) ?? (await this.#original(token, now));
    if (!verified) throw invalidToken();
    this.#remember(token, verified);
    return { userId: verified.userId, authTime: verified.authTime };
  }

  /** One of our access tokens, or null. */
  async #ours(token: string, now: Date): Promise<VerifiedToken | null> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: now,
        clockTolerance: 0,
      }));
    } catch {
      return null;
    }
    if (payload.typ !== TOKEN_TYPE || typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return null;
    const authTimeS = payload.auth_time ?? payload.iat!;
    if (typeof authTimeS !== 'number' || !Number.isFinite(authTimeS)) return null;
    return { userId: payload.sub, authTime: new Date(authTimeS * 1000), expiresAtMs: payload.exp! * 1000 };
  }

  /**
   * An access token of the original backend (contract original-backend-data.md §4), or null; always null
   * without `ORIGINAL_SECRET_KEY`. The same rules as the original's and ours: HS256 only, `exp` with no
   * leeway, `type` exactly "access" (its social-registration and affiliation tokens are refused), `sub` a UUID.
   */
  async #original(token: string, now: Date): Promise<VerifiedToken | null> {
    if (this.#originalKey === null) return null;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.#originalKey, {
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'exp'],
        currentDate: now,
        clockTolerance: 0,
      }));
    } catch {
      return null;
    }
    if (payload.type !== ORIGINAL_TOKEN_TYPE || payload.typ !== undefined) return null;
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return null;
    const exp = payload.exp!;
    const authTimeS = payload.auth_time ?? exp - ORIGINAL_UNDATED_TOKEN_LIFETIME_S;
    if (typeof authTimeS !== 'number' || !Number.isFinite(authTimeS)) return null;
    return { userId: payload.sub.toLowerCase(), authTime: new Date(authTimeS * 1000), expiresAtMs: exp * 1000 };
  }

  #remember(token: string, verified: VerifiedToken): void {
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.#verified.delete(this.#verified.keys().next().value!);
    }
    this.#verified.set(token, verified);
  }

  /**
   * The 30-minute token of Apple/Google sign-in for an identity without an account, exchanged at
   * `/auth/social/register`. Its claim `type: "social_registration"` (access tokens carry `typ: "access"` and
   * no `type`) keeps each kind of token out of the other's door.
   */
  async issueSocialRegistration(identity: SocialIdentityClaims): Promise<AccessToken> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = issuedAt + SOCIAL_REGISTRATION_LIFETIME_MS / 1000;
    const token = await new SignJWT({ type: SOCIAL_REGISTRATION_TYPE, provider: identity.provider })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(identity.subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(await this.#key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The identity a valid social registration token names; throws 401 for anything else (access tokens too). */
  async verifySocialRegistration(token: string): Promise<SocialIdentityClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: this.clock.now(),
        clockTolerance: 0,
      }));
    } catch {
      throw invalidSocialRegistration();
    }
    const { type, typ, provider, sub } = payload;
    if (type !== SOCIAL_REGISTRATION_TYPE || typ !== undefined) throw invalidSocialRegistration();
    if (!isSocialProvider(provider) || typeof sub !== 'string' || sub.length === 0) throw invalidSocialRegistration();
    return { provider, subject: sub };
  }
}

const invalidToken = () => unauthorized('Invalid or expired token');

export const SOCIAL_REGISTRATION_LIFETIME_MS = 30 * 60 * 1000;
const SOCIAL_REGISTRATION_TYPE = 'social_registration';
export const SOCIAL_PROVIDERS = ['apple', 'google'] as const;
export type SocialProvider = (typeof SOCIAL_PROVIDERS)[number];
export const isSocialProvider = (value: unknown): value is SocialProvider => SOCIAL_PROVIDERS.includes(value as SocialProvider);

/** An Apple or Google account: the provider and its stable subject (`sub`) for the person. */
export interface SocialIdentityClaims {
  provider: SocialProvider;
  subject: string;
}

const invalidSocialRegistration = () => unauthorized('Registration token invalid or expired. Please sign in again.');
