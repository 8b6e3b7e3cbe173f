/**
 * Passwordless sign-in: a 6-digit code sent by e-mail, exchanged for an access token.
 *
 * The e-mail address is only ever stored as an HMAC (`EMAIL_HASH_SECRET`), codes only as an HMAC bound to
 * that hash. Nothing a caller sees depends on whether an account exists: every code request gets the same
 * answer, every failed verification the same 401. (The app's `/auth/login` says "register first" only to a
 * caller who has just presented the address's correct code, which reveals nothing they do not know.)
 *
 * Two flows share the codes and their rules (single use, `MAX_CODE_ATTEMPTS` guesses, rate limits):
 * - ours: `requestCode` → `verify`, which signs in and creates the account on the first sign-in;
 * - the app's (v2.1.x, contract §4.1–4.5): `requestCode` → `confirmAddress` → `register`, or
 *   `requestCode` → `login`; a proven address stays verified for `EMAIL_VERIFICATION_VALIDITY_MS`, which is
 *   what lets the app's token-less `register` follow. Neither `confirmAddress` nor `login` creates a user.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { domainToASCII } from 'node:url';
import type { Config } from '../config.js';
import type { EmailVerificationRepository } from '../db/repositories/email-verifications.js';
import type { UserRepository } from '../db/repositories/users.js';
import type { VerificationCodeRepository } from '../db/repositories/verification-codes.js';
import type { User } from '../db/schema.js';
import { badRequest, notFound, unauthorized, unprocessable } from '../errors.js';
import { isRegistrationComplete, type AccountService, type ConsentVersions } from './accounts.js';
import type { Clock } from './clock.js';
import type { Mailer } from './mailer.js';
import { registrationProfile, type ProfileInput } from './profile.js';
import { clientKey, HOURS, MINUTES, type Limit, type RateLimiter } from './rate-limiter.js';
import { SESSION_MAX_AGE_MS, type AccessToken, type TokenService } from './tokens.js';

export const CODE_VALIDITY_MS = 15 * MINUTES;
/**
 * How long an address proven in the app's flow may be registered without a token. Between the code and the
 * registration the user fills in the profile form and the consent sheet: minutes.
 */
export const EMAIL_VERIFICATION_VALIDITY_MS = 60 * MINUTES;
/** Guesses allowed per code; the code is dead after this many wrong ones, even for the right code. */
export const MAX_CODE_ATTEMPTS = 5;

/**
 * Per address, code requests are limited per 15 minutes only. A stranger (who does not receive the mail) can
 * fill that window and burn the live code with wrong guesses, but a lock of this kind ends 15 minutes after
 * their last request, and a new code always has `MAX_CODE_ATTEMPTS` guesses of its own; a daily cap would let
 * them lock the owner out for a day. Guessing stays infeasible: at most 3 × 96 = 288 codes a day, 5 guesses
 * each, against 10^6 codes: 1440 / 10^6 ≤ 0.15 % a day for an attacker who also mails the owner 288 codes a
 * day, and needs two /64 networks for the guesses (30 per client per hour).
 */
export const LOGIN_RATE_LIMITS = {
  codeRequestsPerEmail: [{ max: 3, windowMs: 15 * MINUTES }],
  codeRequestsPerIp: [{ max: 20, windowMs: HOURS }],
  /** Every presented code: ours (`/auth/verify`) and the app's (`/verification/confirm`, `/auth/login`). */
  verificationsPerIp: [{ max: 30, windowMs: HOURS }],
  /** The app's token-less `/auth/register`. */
  registrationsPerIp: [{ max: 20, windowMs: HOURS }],
  /** `/auth/refresh`, counted before the token is checked. */
  refreshesPerIp: [{ max: 60, windowMs: HOURS }],
} as const satisfies Record<string, Limit[]>;

/** Rate-limit bucket names. Buckets keyed by an e-mail hash contain it, which is how erasure finds them. */
export const loginBuckets = {
  codeRequestsPerEmail: (emailHash: string) => `auth:request-code:email:${emailHash}`,
  codeRequestsPerIp: (ip: string) => `auth:request-code:ip:${clientKey(ip)}`,
  verificationsPerIp: (ip: string) => `auth:verify:ip:${clientKey(ip)}`,
  registrationsPerIp: (ip: string) => `auth:register:ip:${clientKey(ip)}`,
  refreshesPerIp: (ip: string) => `auth:refresh:ip:${clientKey(ip)}`,
};

export const CODE_SENT_MESSAGE = `A sign-in code has been sent to this address. It is valid for ${CODE_VALIDITY_MS / MINUTES} minutes.`;
const INVALID_CODE = 'Invalid or expired code';
const TOO_MANY_CODE_REQUESTS = 'Too many sign-in code requests. Please try again later.';
const TOO_MANY_VERIFICATIONS = 'Too many sign-in attempts. Please try again later.';
const TOO_MANY_REGISTRATIONS = 'Too many registrations. Please try again later.';
const TOO_MANY_REFRESHES = 'Too many session renewals. Please try again later.';
/** The app's flow (contract §4.2–4.5): its screens show these sentences. */
export const APP_MESSAGES = {
  invalidConfirmation: 'Invalid or expired verification code',
  invalidLoginCode: 'Invalid verification code.',
  /** Contains "register first", on which the app's login screen offers registration. */
  noAccount: 'No account for this address. Please register first.',
  sessionTooOld: 'Session too old to renew. Please sign in again.',
} as const;

/** The demo user's profile: plausible, complete, and obviously not a real hospital. */
const DEMO_PROFILE = registrationProfile({
  profession: 'physician',
  seniority: 'assistenzarzt',
  department_group: 'innere_medizin',
  state_code: 'BE',
  hospital_id: 'demo-hospital',
  hospital_ref_id: null,
});

export interface AuthDeps {
  config: Config;
  clock: Clock;
  rateLimiter: RateLimiter;
  mailer: Mailer;
  tokens: TokenService;
  users: UserRepository;
  codes: VerificationCodeRepository;
  verifications: EmailVerificationRepository;
  accounts: AccountService;
}

export interface SignIn {
  token: AccessToken;
  user: User;
}

export class AuthService {
  readonly #demo: { emailHash: string; code: string } | null;
  readonly #sendDurations = new RecentDurations();

  constructor(private readonly deps: AuthDeps) {
    const { demo } = deps.config;
    this.#demo = demo ? { emailHash: this.hashEmail(normalizeEmail(demo.email)), code: demo.code } : null;
  }

  /** HMAC-SHA256 of a normalized address: the only form in which an address is ever stored. */
  hashEmail(normalizedEmail: string): string {
    return createHmac('sha256', this.deps.config.emailHashSecret).update(normalizedEmail).digest('hex');
  }

  /**
   * Sends a new code to the address (replacing any previous one). Same outcome whether or not it has an account.
   *
   * The demo address gets a code like any other (its fixed `DEMO__CODE`, valid 15 minutes, `MAX_CODE_ATTEMPTS`
   * guesses), only not by mail; instead of the send it waits as long as a recent real send took, so that
   * neither its answer nor its timing singles the demo address out.
   */
  async requestCode(rawEmail: string, clientIp: string): Promise<void> {
    const { rateLimiter, codes, mailer, clock } = this.deps;
    const email = normalizeEmail(rawEmail);
    const emailHash = this.hashEmail(email);
    await rateLimiter.hit(loginBuckets.codeRequestsPerIp(clientIp), LOGIN_RATE_LIMITS.codeRequestsPerIp, TOO_MANY_CODE_REQUESTS);
    await rateLimiter.hit(loginBuckets.codeRequestsPerEmail(emailHash), LOGIN_RATE_LIMITS.codeRequestsPerEmail, TOO_MANY_CODE_REQUESTS);

    const demo = this.#isDemo(emailHash);
    const code = demo ? this.#demo!.code : randomInt(0, 1_000_000).toString().padStart(6, '0');
    const now = clock.now();
    const id = await codes.replace(emailHash, this.#hashCode(emailHash, code), now, new Date(now.getTime() + CODE_VALIDITY_MS));
    if (demo) {
      await sleep(this.#sendDurations.sample());
      return;
    }
    const started = performance.now();
    try {
      await mailer.sendLoginCode({ to: email, code, validMinutes: CODE_VALIDITY_MS / MINUTES });
    } catch (error) {
      // A code the user never received must not stay usable (nor guessable).
      await codes.delete(id);
      throw error;
    }
    this.#sendDurations.record(performance.now() - started);
  }

  /** Exchanges a valid code for an access token, creating the user on their first sign-in. */
  async verify(rawEmail: string, rawCode: string, clientIp: string): Promise<SignIn> {
    const { codes, clock } = this.deps;
    const { emailHash, code } = await this.#presentCode(rawEmail, rawCode, clientIp);
    const now = clock.now();
    const stored = await this.#spendAttempt(emailHash, code, now);
    if (!stored) throw unauthorized(INVALID_CODE);
    // The demo code is not used up: reviewers may sign in again with it (each time counts as a guess).
    if (this.#isDemo(emailHash)) return this.#signIn(await this.ensureDemoUser());
    const user = await codes.redeem(stored.id, emailHash, now);
    if (!user) throw unauthorized(INVALID_CODE);
    return this.#signIn(user);
  }

  /**
   * The app's `/verification/confirm`: consumes a correct code and marks the address verified for
   * `EMAIL_VERIFICATION_VALIDITY_MS`, without creating a user. Every failure is the same 400.
   */
  async confirmAddress(rawEmail: string, rawCode: string, clientIp: string): Promise<{ expiresAt: Date }> {
    const { emailHash, code } = await this.#presentCode(rawEmail, rawCode, clientIp);
    const { verifications, clock } = this.deps;
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + EMAIL_VERIFICATION_VALIDITY_MS);
    const stored = await this.#spendAttempt(emailHash, code, now);
    if (stored && this.#isDemo(emailHash)) {
      // The demo code is not used up (see `verify`).
      await verifications.mark(emailHash, now, expiresAt);
      return { expiresAt };
    }
    if (!stored || !(await verifications.redeemCode(stored.id, emailHash, now, expiresAt))) {
      throw badRequest(APP_MESSAGES.invalidConfirmation);
    }
    return { expiresAt };
  }

  /**
   * The app's `/auth/login`: a correct code signs in a registered user. For an address without a completed
   * registration it is 404 "register first", and the address is marked verified so that a token-less
   * `register` can follow. The code is consumed either way; no user is ever created.
   */
  async login(rawEmail: string, rawCode: string, clientIp: string): Promise<SignIn> {
    const { emailHash, code } = await this.#presentCode(rawEmail, rawCode, clientIp);
    const { codes, verifications, users, clock } = this.deps;
    const now = clock.now();
    const stored = await this.#spendAttempt(emailHash, code, now);
    if (!stored) throw unauthorized(APP_MESSAGES.invalidLoginCode);
    // The demo code is not used up (see `verify`).
    if (this.#isDemo(emailHash)) return this.#signIn(await this.ensureDemoUser());
    const user = await users.findByEmailHash(emailHash);
    if (user && isRegistrationComplete(user)) {
      // Of several callers presenting the right code at once, exactly one signs in.
      if (!(await codes.consume(stored.id))) throw unauthorized(APP_MESSAGES.invalidLoginCode);
      return this.#signIn(user);
    }
    if (!(await verifications.redeemCode(stored.id, emailHash, now, new Date(now.getTime() + EMAIL_VERIFICATION_VALIDITY_MS)))) {
      throw unauthorized(APP_MESSAGES.invalidLoginCode);
    }
    throw notFound(APP_MESSAGES.noAccount);
  }

  /**
   * The app's token-less `/auth/register`: completes the account of an address verified within the last
   * `EMAIL_VERIFICATION_VALIDITY_MS` (creating the user, or completing one that signed in through our
   * `/auth/verify` but never registered) and signs in. The profile is checked first (422), then the mark.
   */
  async register(rawEmail: string, profile: ProfileInput, consent: ConsentVersions, clientIp: string): Promise<SignIn> {
    const email = normalizeEmail(rawEmail);
    await this.deps.rateLimiter.hit(loginBuckets.registrationsPerIp(clientIp), LOGIN_RATE_LIMITS.registrationsPerIp, TOO_MANY_REGISTRATIONS);
    return this.#signIn(await this.deps.accounts.registerVerified(this.hashEmail(email), profile, consent));
  }

  /**
   * A fresh token for the bearer of a valid one, keeping its `auth_time` (so the expiry stays capped at
   * `auth_time + SESSION_MAX_AGE_MS`). Counted per client before the token is looked at.
   */
  async refresh(token: string | null, clientIp: string): Promise<SignIn> {
    const { rateLimiter, tokens, users, clock } = this.deps;
    await rateLimiter.hit(loginBuckets.refreshesPerIp(clientIp), LOGIN_RATE_LIMITS.refreshesPerIp, TOO_MANY_REFRESHES);
    if (token === null) throw unauthorized('Not authenticated');
    const { userId, authTime } = await tokens.claims(token);
    const user = await users.findById(userId);
    if (!user) throw unauthorized('Invalid or expired token');
    if (clock.now().getTime() >= authTime.getTime() + SESSION_MAX_AGE_MS) throw unauthorized(APP_MESSAGES.sessionTooOld);
    return { token: await tokens.issue(user.id, authTime), user };
  }

  /** The user an access token belongs to; 401 for an invalid token or a user that no longer exists. */
  async authenticate(token: string): Promise<User> {
    const userId = await this.deps.tokens.verify(token);
    const user = await this.deps.users.findById(userId);
    if (!user) throw unauthorized('Invalid or expired token');
    return user;
  }

  /**
   * Creates the demo user (fully registered, flagged `is_demo`) when `DEMO__EMAIL` is configured. Safe to
   * run from several processes at once: one upsert on the unique e-mail hash.
   */
  async ensureDemoUser(): Promise<User> {
    if (!this.#demo) throw new Error('no demo account configured');
    const { config, clock, users } = this.deps;
    return users.upsertDemo(
      this.#demo.emailHash,
      {
        ...DEMO_PROFILE,
        terms_accepted_version: config.currentTermsVersion,
        privacy_accepted_version: config.currentPrivacyVersion,
        consent_accepted_at: clock.now().toISOString(),
      },
      clock.now(),
    );
  }

  /** Deletes expired codes; for the daily maintenance job. */
  async purgeExpiredCodes(): Promise<number> {
    return this.deps.codes.purgeExpired(this.deps.clock.now());
  }

  /** Deletes expired marks of verified addresses; for the daily maintenance job. */
  async purgeExpiredVerifications(): Promise<number> {
    return this.deps.verifications.purgeExpired(this.deps.clock.now());
  }

  #isDemo(emailHash: string): boolean {
    return this.#demo !== null && this.#demo.emailHash === emailHash;
  }

  /** Checks the input and counts the attempt per client, as every presented code is. */
  async #presentCode(rawEmail: string, rawCode: string, clientIp: string): Promise<{ emailHash: string; code: string }> {
    const email = normalizeEmail(rawEmail);
    const code = normalizeCode(rawCode);
    await this.deps.rateLimiter.hit(loginBuckets.verificationsPerIp(clientIp), LOGIN_RATE_LIMITS.verificationsPerIp, TOO_MANY_VERIFICATIONS);
    return { emailHash: this.hashEmail(email), code };
  }

  /** Spends one guess on the address's live code; the stored code when `code` is it, else undefined. */
  async #spendAttempt(emailHash: string, code: string, now: Date): Promise<{ id: string } | undefined> {
    const stored = await this.deps.codes.spendAttempt(emailHash, now, MAX_CODE_ATTEMPTS);
    return stored && constantTimeEqual(this.#hashCode(emailHash, code), stored.code) ? stored : undefined;
  }

  #hashCode(emailHash: string, code: string): string {
    return createHmac('sha256', this.deps.config.secretKey).update(`login-code:${emailHash}:${code}`).digest('hex');
  }

  async #signIn(user: User): Promise<SignIn> {
    return { token: await this.deps.tokens.issue(user.id), user };
  }
}

/**
 * How long the last few real sends of a code took, for the demo address to wait as long: one of them at
 * random, so that its answer times have the same spread as real ones. Before the first real send, a typical
 * submission to a mail server.
 */
class RecentDurations {
  static readonly SIZE = 20;
  static readonly DEFAULT_MS = 150;
  readonly #values: number[] = [];
  #next = 0;

  record(ms: number): void {
    this.#values[this.#next] = ms;
    this.#next = (this.#next + 1) % RecentDurations.SIZE;
  }

  sample(): number {
    if (this.#values.length === 0) return RecentDurations.DEFAULT_MS;
    return this.#values[randomInt(0, this.#values.length)]!;
  }
}

const EMAIL_LOCAL_PART = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Trims and lower-cases an address and checks its syntax (the HTML living standard's rule, plus a dot in
 * the domain and RFC 5321's length limits). International domain names are stored in their ASCII form, so
 * both spellings of one address are one account. Throws 422.
 */
export function normalizeEmail(raw: string): string {
  const invalid = () => unprocessable('email: must be a valid e-mail address');
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 1 || email.length > 254) throw invalid();
  const local = email.slice(0, at);
  const domain = domainToASCII(email.slice(at + 1));
  const labels = domain.split('.');
  const valid =
    local.length <= 64 &&
    EMAIL_LOCAL_PART.test(local) &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..') &&
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    /[a-z]/.test(labels.at(-1)!);
  if (!valid) throw invalid();
  return `${local}@${domain}`;
}

/** Accepts the code as typed or pasted ("123 456"); anything but six digits is 422. */
function normalizeCode(raw: string): string {
  const code = raw.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) throw unprocessable('code: must be the 6-digit code from the e-mail');
  return code;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
