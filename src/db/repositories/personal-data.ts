import type { Kysely } from 'kysely';
import type { DB, User } from '../schema.js';
import { toFinalizedWeekView } from '../../services/finalized-weeks.js';
import { FeedbackRepository } from './feedback.js';
import { FinalizedWeekRepository } from './finalized-weeks.js';
import { PrivacyLedgerRepository } from './privacy-ledger.js';
import { SocialIdentityRepository } from './social-identities.js';

/**
 * Every table that holds rows about a person, and the section of the data export (`GET /auth/me/export`)
 * that shows them. test/db/personal-data.test.ts reads the live schema (foreign keys to `users`, columns
 * `user_id` and `email_hash`) and fails for a table missing here, so a new table cannot be left out.
 */
export const PERSONAL_DATA_TABLES = {
  users: 'profile',
  work_events: 'work_events',
  finalized_weeks: 'finalized_weeks',
  social_identities: 'social_identities',
  feedback: 'feedback_reports',
  verification_codes: 'pending_login_codes',
  email_verifications: 'pending_email_verification',
  rate_limit_hits: 'login_code_requests',
  privacy_ledger: 'privacy_ledger',
  imported_privacy_ledger: 'imported_privacy_ledger',
  imported_users: 'imported_from_original_at',
} as const satisfies Partial<Record<keyof DB, string>>;

/**
 * Everything stored about one user, in one place: the data export (right of access) reads it here and the
 * erasure (right to erasure) removes it here.
 *
 * A feature that adds a table linked to users gives it a foreign key to `users.id` with ON DELETE CASCADE
 * (so `erase` covers it without a change), adds one section to `exportSections` and lists it in
 * `PERSONAL_DATA_TABLES`.
 */
export class PersonalDataRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The export's sections besides the profile, each already in the shape the user receives. */
  async exportSections(user: User): Promise<Record<string, unknown>> {
    const { db } = this;
    return {
      work_events: await db
        .selectFrom('work_events')
        .select((eb) => [
          'id',
          'date',
          'planned_minutes',
          'actual_minutes',
          'created_at',
          eb.fn.coalesce('updated_at', 'created_at').as('updated_at'),
        ])
        .where('user_id', '=', user.id)
        .orderBy('date')
        .execute(),
      finalized_weeks: (await new FinalizedWeekRepository(db).list(user.id)).map(toFinalizedWeekView),
      // The Apple/Google accounts that sign in to this one, subject included: it is what we store about the
      // person there (an identifier, not a credential: signing in needs a token signed by the provider).
      social_identities: await new SocialIdentityRepository(db).listForUser(user.id),
      // The published months that counted the user, with the cell and the ε spent (docs/privacy.md).
      privacy_ledger: (await new PrivacyLedgerRepository(db).forUser(user.id))
        .reverse()
        .map(({ user_id: _, ...entry }) => ({ ...entry, epsilon: Number(entry.epsilon) })),
      // The ε the original backend charged this person before the move (npm run import:original).
      imported_privacy_ledger: await new PrivacyLedgerRepository(db).importedForUser(user.id),
      // When the account was copied from the original backend, if it was. The row outlives an erasure (only the
      // id, so that a later import run does not bring the account back).
      imported_from_original_at:
        (await db.selectFrom('imported_users').select('imported_at').where('user_id', '=', user.id).executeTakeFirst())?.imported_at ?? null,
      feedback_reports: (await new FeedbackRepository(db).listForUser(user.id)).map(({ user_id: _, ...report }) => report),
      pending_login_codes: await db
        .selectFrom('verification_codes')
        .select(['created_at', 'expires_at', 'failed_attempts as attempts'])
        .where('email_hash', '=', user.email_hash)
        .execute(),
      // An address proven in the app's flow (`/verification/confirm`), waiting for its registration.
      pending_email_verification:
        (await db
          .selectFrom('email_verifications')
          .select(['verified_at', 'expires_at'])
          .where('email_hash', '=', user.email_hash)
          .executeTakeFirst()) ?? null,
      // Code requests are counted per e-mail hash for rate limiting (kept at most a day).
      login_code_requests: (
        await db.selectFrom('rate_limit_hits').select('hit_at').where('bucket', 'like', emailHashBuckets(user)).orderBy('hit_at').execute()
      ).map((row) => row.hit_at),
    };
  }

  /**
   * Removes the user and everything linked to them in one transaction: the user row (work events and every
   * other user-linked table follow by ON DELETE CASCADE), pending login codes, the address's verification
   * mark and rate-limit records kept
   * under the e-mail hash. Published statistics are anonymous and stay. False when there was nothing to
   * delete (already erased, or the demo user, which is never erased).
   */
  async erase(user: User): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('users').where('id', '=', user.id).where('is_demo', '=', false).executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) return false;
      await trx.deleteFrom('verification_codes').where('email_hash', '=', user.email_hash).execute();
      await trx.deleteFrom('email_verifications').where('email_hash', '=', user.email_hash).execute();
      await trx.deleteFrom('rate_limit_hits').where('bucket', 'like', emailHashBuckets(user)).execute();
      return true;
    });
  }
}

/** LIKE pattern for every rate-limit bucket that names the user's e-mail hash (hex: no LIKE wildcards). */
const emailHashBuckets = (user: User) => `%${user.email_hash}%`;
