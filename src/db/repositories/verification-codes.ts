import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, User } from '../schema.js';
import { UserRepository } from './users.js';

/**
 * Login codes, one per e-mail hash (unique index). Every read that could lead to a successful login is a
 * conditional write, so the rules hold however many requests race: a code is consumed once, and no more than
 * `maxAttempts` guesses are ever compared against it.
 */
export class VerificationCodeRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Stores a new code for the address, replacing any previous one. Returns the new code's id. */
  async replace(emailHash: string, codeHash: string, now: Date, expiresAt: Date): Promise<string> {
    const id = randomUUID();
    const row = {
      id,
      email_hash: emailHash,
      code: codeHash,
      expires_at: expiresAt.toISOString(),
      used: false,
      failed_attempts: 0,
      created_at: now.toISOString(),
    };
    await this.db
      .insertInto('verification_codes')
      .values(row)
      .onConflict((oc) =>
        oc.column('email_hash').doUpdateSet({
          id: row.id,
          code: row.code,
          expires_at: row.expires_at,
          used: false,
          failed_attempts: 0,
          created_at: row.created_at,
        }),
      )
      .execute();
    return id;
  }

  /** Removes one code (e.g. when its e-mail could not be sent); a newer replacement is left alone. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('verification_codes').where('id', '=', id).execute();
  }

  /**
   * Spends one of the code's attempts and returns the stored code hash to compare with, or undefined when
   * there is no live code (none requested, expired, used, or out of attempts). Spending before comparing
   * is what bounds guesses under concurrency; a correct guess then consumes the code, so counting it does
   * no harm.
   */
  async spendAttempt(emailHash: string, now: Date, maxAttempts: number): Promise<{ id: string; code: string } | undefined> {
    return this.db
      .updateTable('verification_codes')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('email_hash', '=', emailHash)
      .where('used', '=', false)
      .where('failed_attempts', '<', maxAttempts)
      .where('expires_at', '>', now.toISOString())
      .returning(['id', 'code'])
      .executeTakeFirst();
  }

  /**
   * Consumes a code and returns the user of its address, created on their first sign-in; undefined when the
   * code was consumed already (exactly one of several callers presenting the right code at once wins). One
   * transaction: if creating the user fails, the code stays usable.
   */
  async redeem(id: string, emailHash: string, now: Date): Promise<User | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const consumed = await trx.deleteFrom('verification_codes').where('id', '=', id).executeTakeFirst();
      if (Number(consumed.numDeletedRows) !== 1) return undefined;
      return new UserRepository(trx).findOrCreate(emailHash, now);
    });
  }

  /** Consumes a code without touching users; false when it was consumed already. */
  async consume(id: string): Promise<boolean> {
    const consumed = await this.db.deleteFrom('verification_codes').where('id', '=', id).executeTakeFirst();
    return Number(consumed.numDeletedRows) === 1;
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('verification_codes').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
