import type { Kysely } from 'kysely';
import type { DB, User } from '../schema.js';
import { UserRepository } from './users.js';
import { VerificationCodeRepository } from './verification-codes.js';

/**
 * Addresses proven with a code (the app's `/verification/confirm`, or `/auth/login` without an account), one
 * row per e-mail hash, live until `expires_at`: what lets the app's token-less `/auth/register` follow.
 */
export class EmailVerificationRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Consumes the login code `codeId` and marks its address verified until `expiresAt`, in one transaction;
   * false when the code was consumed already (of several callers presenting the right code at once, exactly
   * one wins).
   */
  async redeemCode(codeId: string, emailHash: string, now: Date, expiresAt: Date): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await new VerificationCodeRepository(trx).consume(codeId))) return false;
      await new EmailVerificationRepository(trx).mark(emailHash, now, expiresAt);
      return true;
    });
  }

  /** Marks the address verified until `expiresAt` (a newer mark replaces an older one). */
  async mark(emailHash: string, now: Date, expiresAt: Date): Promise<void> {
    const values = { email_hash: emailHash, verified_at: now.toISOString(), expires_at: expiresAt.toISOString() };
    await this.db
      .insertInto('email_verifications')
      .values(values)
      .onConflict((oc) => oc.column('email_hash').doUpdateSet({ verified_at: values.verified_at, expires_at: values.expires_at }))
      .execute();
  }

  /**
   * Uses up the address's live mark and runs `work` in the same transaction, with the users table of that
   * transaction; undefined (and nothing done) when there is no live mark. If `work` throws, everything is
   * rolled back and the mark stays. Two registrations racing on one mark: exactly one runs `work`.
   */
  async consume(emailHash: string, now: Date, work: (users: UserRepository) => Promise<User>): Promise<User | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const used = await trx
        .deleteFrom('email_verifications')
        .where('email_hash', '=', emailHash)
        .where('expires_at', '>', now.toISOString())
        .executeTakeFirst();
      if (Number(used.numDeletedRows) !== 1) return undefined;
      return work(new UserRepository(trx));
    });
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('email_verifications').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
