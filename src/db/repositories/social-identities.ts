import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, SocialIdentitiesTable, User } from '../schema.js';
import type { UserChanges } from './users.js';

type Provider = SocialIdentitiesTable['provider'];

/** Thrown inside the transaction to roll it back when the identity turns out to be taken. */
class IdentityTaken extends Error {}

/**
 * Apple and Google identities (provider, subject) and the accounts they sign in to. An identity row is
 * removed with its user (ON DELETE CASCADE), so erasure needs nothing here.
 */
export class SocialIdentityRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The user this identity signs in to, if it has an account. */
  async findUser(provider: Provider, subject: string): Promise<User | undefined> {
    return this.db
      .selectFrom('social_identities')
      .innerJoin('users', 'users.id', 'social_identities.user_id')
      .selectAll('users')
      .where('social_identities.provider', '=', provider)
      .where('social_identities.subject', '=', subject)
      .executeTakeFirst();
  }

  /**
   * Creates the user (with its whole profile and consent) and links the identity, in one transaction: either
   * both rows exist afterwards or neither. Undefined when the identity already has an account. Two requests
   * racing for one identity end with one account: the user's `email_hash` is derived from the identity and
   * unique, so the second insert finds the first (PostgreSQL makes it wait for the first to commit).
   */
  async createAccount(
    identity: { provider: Provider; subject: string; emailHash: string },
    profile: UserChanges,
    now: Date,
  ): Promise<User | undefined> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const createdAt = now.toISOString();
        const user = await trx
          .insertInto('users')
          .values({ ...profile, id: randomUUID(), email_hash: identity.emailHash, created_at: createdAt, is_demo: false })
          .onConflict((oc) => oc.column('email_hash').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!user) throw new IdentityTaken();
        const linked = await trx
          .insertInto('social_identities')
          .values({ provider: identity.provider, subject: identity.subject, user_id: user.id, created_at: createdAt })
          .onConflict((oc) => oc.columns(['provider', 'subject']).doNothing())
          .returning('user_id')
          .executeTakeFirst();
        if (!linked) throw new IdentityTaken();
        return user;
      });
    } catch (error) {
      if (error instanceof IdentityTaken) return undefined;
      throw error;
    }
  }

  /** The identities linked to a user, for the data export. */
  async listForUser(userId: string): Promise<Pick<SocialIdentitiesTable, 'provider' | 'subject' | 'created_at'>[]> {
    return this.db
      .selectFrom('social_identities')
      .select(['provider', 'subject', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }
}
