/**
 * Sign in with Apple and Google (contract §4.14). The app sends the identity token the provider gave it; we
 * check it against the provider's published keys (RS256 only), its issuer, its audience (our bundle id /
 * OAuth client id) and its expiry, and key accounts by (provider, `sub`). Social accounts have no e-mail.
 *
 * An identity without an account gets a 30-minute registration token instead (TokenService), which
 * `/auth/social/register` exchanges, together with the profile and consent, for a new account.
 *
 * Keys: fetched from the provider's JWKS URL and cached (refreshed after `maxAgeMs`; if the refresh fails the
 * cached keys stay in use). A token signed with a key id we do not know makes us fetch the keys again, at most
 * once per `cooldownMs` (so tokens with made-up key ids cannot make us hammer the provider); a key the
 * provider has just published is therefore found at the latest `cooldownMs` after our last fetch. A token that
 * is not even a JWT, or names another algorithm than RS256, is refused before any fetch. A provider that
 * cannot be reached within `timeoutMs` gives 503, never a hung request.
 */
import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import type { Config } from '../config.js';
import type { SocialIdentityRepository } from '../db/repositories/social-identities.js';
import type { User } from '../db/schema.js';
import { badRequest, notImplemented, serviceUnavailable, unauthorized } from '../errors.js';
import type { AccountService, ConsentVersions } from './accounts.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { ProfileInput } from './profile.js';
import { clientKey, HOURS, MINUTES, type Limit, type RateLimiter } from './rate-limiter.js';
import type { AccessToken, SocialIdentityClaims, SocialProvider, TokenService } from './tokens.js';

export const APPLE_ISSUER = 'https://appleid.apple.com';
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/** Per client IP and endpoint: a person signs in a few times a year; a clinic's shared Wi-Fi now and then. */
export const SOCIAL_RATE_LIMITS = { perIp: [{ max: 20, windowMs: HOURS }] } as const satisfies Record<string, Limit[]>;
export const socialBuckets = {
  signIn: (provider: SocialProvider, ip: string) => `social:${provider}:ip:${clientKey(ip)}`,
  register: (ip: string) => `social:register:ip:${clientKey(ip)}`,
};
const TOO_MANY_ATTEMPTS = 'Too many sign-in attempts. Please try again later.';

export const GOOGLE_NOT_CONFIGURED = 'Google Sign-In is not configured.';
export const ALREADY_REGISTERED = 'Account already registered. Please sign in instead.';
/** Apple and Google subjects are short (about 44 and 21 characters); anything long is not one. */
const MAX_SUBJECT_LENGTH = 255;
/** Accepted clock difference between us and the provider for `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 30;

export interface KeyFetchOptions {
  /** Give up on the provider's key endpoint after this long (503). */
  timeoutMs: number;
  /** Fetch again for an unknown key id at most this often. */
  cooldownMs: number;
  /** Refresh the cached keys when they are older than this. */
  maxAgeMs: number;
}

export const DEFAULT_KEY_FETCH: KeyFetchOptions = { timeoutMs: 3_000, cooldownMs: 30_000, maxAgeMs: 10 * MINUTES };

/** The keys could not be fetched: the caller is not at fault (503, not 401). */
class KeysUnavailable extends Error {}

/**
 * One provider's published keys. jose's remote set does the fetching (with its timeout, and one fetch for
 * many concurrent callers); when to fetch is decided here, on the app's clock, so that tests can move time.
 */
class ProviderKeys {
  readonly #remote: ReturnType<typeof createRemoteJWKSet>;
  #loaded = false;
  /** When the cached keys are due for a refresh. */
  #refreshAt = 0;
  /** The last fetch attempt, for the cooldown of unknown key ids. */
  #lastAttempt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly url: string,
    private readonly clock: Clock,
    private readonly options: KeyFetchOptions,
    private readonly logger: Logger,
  ) {
    // jose's own age and cooldown rules are switched off (infinite): they run on the real clock.
    this.#remote = createRemoteJWKSet(new URL(url), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: Number.POSITIVE_INFINITY,
      cacheMaxAge: Number.POSITIVE_INFINITY,
    });
  }

  /** The key for a token's header; the getter jwtVerify calls after it has checked the token's form and algorithm. */
  readonly key = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (!this.#loaded || this.clock.now().getTime() >= this.#refreshAt) await this.#fetch({ keepStale: this.#loaded });
    try {
      return await this.#remote(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (this.clock.now().getTime() - this.#lastAttempt < this.options.cooldownMs) throw error;
      // Perhaps a key the provider published since our last fetch.
      await this.#fetch({ keepStale: false });
      return this.#remote(header, token);
    }
  };

  async #fetch({ keepStale }: { keepStale: boolean }): Promise<void> {
    const now = this.clock.now().getTime();
    this.#lastAttempt = now;
    try {
      await this.#remote.reload();
      this.#loaded = true;
      this.#refreshAt = now + this.options.maxAgeMs;
    } catch (cause) {
      // Operators need to know: sign-in with this provider fails (or runs on old keys) until it is back.
      this.logger.warn({ url: this.url, error: cause instanceof Error ? cause.message : String(cause) }, 'sign-in keys could not be fetched');
      if (!keepStale) throw new KeysUnavailable('key set unavailable', { cause });
      // Keep verifying with the keys we have; try the provider again after the cooldown.
      this.#refreshAt = now + this.options.cooldownMs;
    }
  }
}

interface ProviderVerifier {
  label: string;
  issuers: string[];
  audience: string;
  keys: ProviderKeys;
}

export type SocialSignIn =
  | { status: 'authenticated'; token: AccessToken; user: User }
  | { status: 'registration_required'; registration: AccessToken };

export interface SocialAuthDeps {
  config: Config;
  clock: Clock;
  rateLimiter: RateLimiter;
  tokens: TokenService;
  accounts: AccountService;
  identities: SocialIdentityRepository;
  logger: Logger;
  keyFetch?: KeyFetchOptions;
}

export class SocialAuthService {
  readonly #providers: Record<SocialProvider, ProviderVerifier | null>;

  constructor(private readonly deps: SocialAuthDeps) {
    const { apple, google } = deps.config.socialAuth;
    const keyFetch = deps.keyFetch ?? DEFAULT_KEY_FETCH;
    const keys = (url: string) => new ProviderKeys(url, deps.clock, keyFetch, deps.logger);
    this.#providers = {
      apple: { label: 'Apple', issuers: [APPLE_ISSUER], audience: apple.bundleId, keys: keys(apple.jwksUrl) },
      google: google.clientId
        ? { label: 'Google', issuers: GOOGLE_ISSUERS, audience: google.clientId, keys: keys(google.jwksUrl) }
        : null,
    };
  }

  /** Signs in with a provider's identity token: the account of that identity, or a registration token. */
  async signIn(provider: SocialProvider, identityToken: string, clientIp: string): Promise<SocialSignIn> {
    const { rateLimiter, identities, tokens } = this.deps;
    const verifier = this.#verifier(provider);
    await rateLimiter.hit(socialBuckets.signIn(provider, clientIp), SOCIAL_RATE_LIMITS.perIp, TOO_MANY_ATTEMPTS);
    const subject = await this.#verify(verifier, identityToken);
    const user = await identities.findUser(provider, subject);
    if (user) return { status: 'authenticated', token: await tokens.issue(user.id), user };
    return { status: 'registration_required', registration: await tokens.issueSocialRegistration({ provider, subject }) };
  }

  /**
   * Creates the account of the identity a registration token names, with its profile and consent (the rules
   * of every registration: AccountService), in one transaction. 400 when the identity already has one.
   */
  async register(
    registrationToken: string,
    profile: ProfileInput,
    consent: ConsentVersions,
    clientIp: string,
  ): Promise<{ token: AccessToken; user: User }> {
    const { rateLimiter, tokens, identities, accounts, clock } = this.deps;
    await rateLimiter.hit(socialBuckets.register(clientIp), SOCIAL_RATE_LIMITS.perIp, TOO_MANY_ATTEMPTS);
    const identity = await tokens.verifySocialRegistration(registrationToken);
    if (await identities.findUser(identity.provider, identity.subject)) throw badRequest(ALREADY_REGISTERED);
    const columns = accounts.registrationColumns(profile, consent);
    const user = await identities.createAccount({ ...identity, emailHash: socialEmailHash(this.deps.config.emailHashSecret, identity) }, columns, clock.now());
    // Another registration of the same identity won the race.
    if (!user) throw badRequest(ALREADY_REGISTERED);
    return { token: await tokens.issue(user.id), user };
  }

  #verifier(provider: SocialProvider): ProviderVerifier {
    const verifier = this.#providers[provider];
    if (!verifier) throw notImplemented(GOOGLE_NOT_CONFIGURED);
    return verifier;
  }

  /** The subject of a valid identity token; 401 for an invalid one, 503 when the provider's keys are out of reach. */
  async #verify(verifier: ProviderVerifier, identityToken: string): Promise<string> {
    const failed = () => unauthorized(`${verifier.label} authentication failed.`);
    let payload;
    try {
      ({ payload } = await jwtVerify(identityToken, verifier.keys.key, {
        algorithms: ['RS256'],
        issuer: verifier.issuers,
        audience: verifier.audience,
        requiredClaims: ['sub', 'exp'],
        currentDate: this.deps.clock.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      if (error instanceof KeysUnavailable) {
        throw serviceUnavailable(`${verifier.label} sign-in is temporarily unavailable. Please try again later.`);
      }
      throw failed();
    }
    const { sub } = payload;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) throw failed();
    return sub;
  }
}

const SOCIAL_EMAIL_HASH_PREFIX = 'social:';

/**
 * The unique `email_hash` of a social account (schema.ts, UsersTable): `social:<provider>:<HMAC of the
 * subject>`, which no e-mail HMAC (64 hex digits) can equal. Also used for accounts imported from the
 * original backend.
 */
export function socialEmailHash(emailHashSecret: string, { provider, subject }: SocialIdentityClaims): string {
  return `${SOCIAL_EMAIL_HASH_PREFIX}${provider}:${createHmac('sha256', emailHashSecret).update(subject).digest('hex')}`;
}

/** True for an account made through Apple or Google sign-in, which has no e-mail address. */
export const isSocialAccount = (user: Pick<User, 'email_hash'>) => user.email_hash.startsWith(SOCIAL_EMAIL_HASH_PREFIX);
