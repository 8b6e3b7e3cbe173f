/**
 * The account of a signed-in user: profile, consent, and the GDPR rights of access (export) and erasure.
 */
import type { Config } from '../config.js';
import type { EmailVerificationRepository } from '../db/repositories/email-verifications.js';
import type { PersonalDataRepository } from '../db/repositories/personal-data.js';
import type { UserChanges, UserRepository } from '../db/repositories/users.js';
import type { User } from '../db/schema.js';
import { badRequest, forbidden, unauthorized, unprocessable } from '../errors.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { profileSnapshot, registrationProfile, updatedProfile, type ProfileInput, type ProfileSnapshot } from './profile.js';
import { isSocialAccount } from './social-auth.js';

export interface ConsentVersions {
  terms_version: string;
  privacy_version: string;
}

/**
 * The user as the API shows it (the app's `UserOut`, contract §3): every key present, null where unset;
 * never the e-mail address or its hash.
 */
export interface UserView extends ProfileSnapshot {
  user_id: string;
  created_at: string;
  terms_accepted_version: string | null;
  privacy_accepted_version: string | null;
  consent_accepted_at: string | null;
  registration_complete: boolean;
  /** True until the user has accepted the current terms and privacy policy. */
  consent_required: boolean;
}

/**
 * Registration is complete once a profession is chosen and consent was given: every other profile field is
 * optional in the app (a user without a state simply counts in no statistics cell).
 */
export function isRegistrationComplete(user: User): boolean {
  return user.profession !== null && user.consent_accepted_at !== null;
}

export interface AccountDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  users: UserRepository;
  personalData: PersonalDataRepository;
  verifications: EmailVerificationRepository;
}

/** The app's sentences (contract §4.3); its registration screen shows them. */
export const REGISTRATION_MESSAGES = {
  notVerified: 'Email must be verified before registration. Please complete email verification first.',
  alreadyRegistered: 'Registration failed. Please verify your email and try again.',
} as const;

export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  view(user: User): UserView {
    const { currentTermsVersion, currentPrivacyVersion } = this.deps.config;
    return {
      user_id: user.id,
      ...profileSnapshot(user),
      created_at: user.created_at,
      terms_accepted_version: user.terms_accepted_version,
      privacy_accepted_version: user.privacy_accepted_version,
      consent_accepted_at: user.consent_accepted_at,
      registration_complete: isRegistrationComplete(user),
      consent_required:
        user.consent_accepted_at === null ||
        user.terms_accepted_version !== currentTermsVersion ||
        user.privacy_accepted_version !== currentPrivacyVersion,
    };
  }

  /** Completes (or redoes) registration: the whole profile plus consent to the given versions. */
  async register(user: User, profile: ProfileInput, consent: ConsentVersions): Promise<User> {
    return this.#update(user, this.registrationColumns(profile, consent));
  }

  /**
   * The columns a registration sets (422 for a profile that breaks the rules), for doors that create the
   * user and its profile in one transaction (Apple/Google sign-in).
   */
  registrationColumns(profile: ProfileInput, consent: ConsentVersions): UserChanges {
    return { ...registrationProfile(profile), ...this.#consentChanges(consent) };
  }

  /**
   * Registration of an address proven by a code (the app's token-less `/auth/register`), in one
   * transaction: uses up the address's verification mark, finds or creates its user, and registers them.
   * 400 when the address is not (or no longer) verified, or already has a completed registration (then the
   * mark stays); an account that signed in but never registered is completed.
   */
  async registerVerified(emailHash: string, profile: ProfileInput, consent: ConsentVersions): Promise<User> {
    const changes = this.registrationColumns(profile, consent);
    const now = this.deps.clock.now();
    const user = await this.deps.verifications.consume(emailHash, now, async (users) => {
      const existing = await users.findOrCreate(emailHash, now);
      if (isRegistrationComplete(existing)) throw badRequest(REGISTRATION_MESSAGES.alreadyRegistered);
      return (await users.update(existing.id, changes))!;
    });
    if (!user) throw badRequest(REGISTRATION_MESSAGES.notVerified);
    return user;
  }

  /** Changes the profile fields that are given (see `updatedProfile`). */
  async updateProfile(user: User, changes: ProfileInput): Promise<User> {
    return this.#update(user, updatedProfile(user, changes));
  }

  /** Records consent to (new) versions of the terms and the privacy policy. */
  async consent(user: User, consent: ConsentVersions): Promise<User> {
    return this.#update(user, this.#consentChanges(consent));
  }

  /** Everything stored about the user, for the right of access. */
  async exportData(user: User): Promise<Record<string, unknown>> {
    return {
      exported_at: this.deps.clock.now().toISOString(),
      profile: { ...this.view(user), is_demo: Boolean(user.is_demo) },
      email_address: isSocialAccount(user)
        ? 'None: this account signs in with Apple or Google (see social_identities).'
        : 'Not stored. Only a keyed hash (HMAC-SHA256) of your address is kept, to recognise you when you sign in.',
      ...(await this.deps.personalData.exportSections(user)),
    };
  }

  /** Erases the user and everything linked to them. The demo account is never erased. */
  async erase(user: User): Promise<void> {
    if (user.is_demo) throw forbidden('The demo account cannot be deleted');
    if (await this.deps.personalData.erase(user)) {
      // The pseudonymous id (never the e-mail or its hash) lets operators re-apply erasures made after a
      // backup when that backup is restored (docs/deployment.md, "Backups and restore").
      this.deps.logger.info({ user_id: user.id }, 'account erased');
    }
  }

  async #update(user: User, changes: UserChanges): Promise<User> {
    const updated = await this.deps.users.update(user.id, changes);
    // Deleted by a concurrent erasure after this request was authenticated.
    if (!updated) throw unauthorized('Invalid or expired token');
    return updated;
  }

  /**
   * The columns of a consent. Only the current versions can be accepted (every door that records consent
   * comes through here): a version the service does not publish is not a consent to anything. Clients read
   * the current versions from `GET /taxonomy` (`consent_versions`).
   */
  #consentChanges(consent: ConsentVersions): UserChanges {
    const { currentTermsVersion, currentPrivacyVersion } = this.deps.config;
    const version = (field: keyof ConsentVersions, current: string) => {
      const value = consent[field].trim();
      if (value !== current) throw unprocessable(`${field}: must be the current version "${current}"`);
      return value;
    };
    return {
      terms_accepted_version: version('terms_version', currentTermsVersion),
      privacy_accepted_version: version('privacy_version', currentPrivacyVersion),
      consent_accepted_at: this.deps.clock.now().toISOString(),
    };
  }
}
