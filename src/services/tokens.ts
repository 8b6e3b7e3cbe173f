/**
 * Access tokens: JWTs signed with HS256 and `SECRET_KEY`, claims `sub` (user id), `iat`, `exp` (30 days) and
 * `typ: "access"`. Verification pins the algorithm, so `alg: none` and every other algorithm are refused.
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
const ALGORITHM = 'HS256';
const TOKEN_TYPE = 'access';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Enough for every active user of a busy day; a miss only costs one signature check. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

interface VerifiedToken {
  userId: string;
  expiresAtMs: number;
}

export class TokenService {
  readonly #key: Promise<webcrypto.CryptoKey>;
  readonly #verified = new Map<string, VerifiedToken>();

  constructor(
    secret: string,
    private readonly clock: Clock,
  ) {
    // An imported CryptoKey verifies twice as fast as raw bytes, which jose would import on every call.
    this.#key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
  }

  async issue(userId: string): Promise<AccessToken> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = issuedAt + ACCESS_TOKEN_LIFETIME_MS / 1000;
    const token = await new SignJWT({ typ: TOKEN_TYPE })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(await this.#key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The user id of a valid access token; throws 401 for anything else. */
  async verify(token: string): Promise<string> {
    const now = this.clock.now();
    const known = this.#verified.get(token);
    if (known) {
      if (known.expiresAtMs > now.getTime()) return known.userId;
      this.#verified.delete(token);
      throw invalidToken();
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: now,
        clockTolerance: 0,
      }));
    } catch {
      throw invalidToken();
    }
    if (payload.typ !== TOKEN_TYPE || typeof payload.sub !== 'string' || !UUID.test(payload.sub)) throw invalidToken();
    this.#remember(token, { userId: payload.sub, expiresAtMs: payload.exp! * 1000 });
    return payload.sub;
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
