import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Updateable } from 'kysely';
import type { DB, User, UsersTable } from '../schema.js';

/** The profile and consent columns a user may set. */
export type UserChanges = Pick<
  Updateable<UsersTable>,
  | 'hospital_id'
  | 'specialty'
  | 'role_level'
  | 'state_code'
  | 'profession'
  | 'seniority'
  | 'department_group'
  | 'specialization_code'
  | 'hospital_ref_id'
  | 'terms_accepted_version'
  | 'privacy_accepted_version'
  | 'consent_accepted_at'
>;

export class UserRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The lookup behind every authenticated request: one primary-key read. */
  async findById(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByEmailHash(emailHash: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('email_hash', '=', emailHash).executeTakeFirst();
  }

  /**
   * The user with this e-mail hash, created (with nothing but the hash) if there is none. Insert-or-ignore
   * on the unique e-mail hash, then read: two first logins racing end with one user.
   */
  async findOrCreate(emailHash: string, now: Date): Promise<User> {
    const { db } = this;
    const created = await db
      .insertInto('users')
      .values({ id: randomUUID(), email_hash: emailHash, created_at: now.toISOString(), is_demo: false })
      .onConflict((oc) => oc.column('email_hash').doNothing())
      .returningAll()
      .executeTakeFirst();
    return created ?? db.selectFrom('users').selectAll().where('email_hash', '=', emailHash).executeTakeFirstOrThrow();
  }

  /**
   * Creates the demo user fully registered, or marks an existing user with that address as demo and fills
   * any missing profile field. One upsert, so several processes starting at once are safe.
   */
  async upsertDemo(emailHash: string, profile: Required<UserChanges>, now: Date): Promise<User> {
    return this.db
      .insertInto('users')
      .values({ id: randomUUID(), email_hash: emailHash, created_at: now.toISOString(), is_demo: true, ...profile })
      .onConflict((oc) =>
        oc.column('email_hash').doUpdateSet(() => {
          const keep = (column: keyof UserChanges) => sql<never>`coalesce(${sql.ref(`users.${column}`)}, ${sql.ref(`excluded.${column}`)})`;
          return {
            is_demo: true,
            hospital_id: keep('hospital_id'),
            specialty: keep('specialty'),
            role_level: keep('role_level'),
            state_code: keep('state_code'),
            profession: keep('profession'),
            seniority: keep('seniority'),
            department_group: keep('department_group'),
            specialization_code: keep('specialization_code'),
            hospital_ref_id: keep('hospital_ref_id'),
            terms_accepted_version: keep('terms_accepted_version'),
            privacy_accepted_version: keep('privacy_accepted_version'),
            consent_accepted_at: keep('consent_accepted_at'),
          };
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Applies `changes` and returns the updated row, or undefined when the user no longer exists. */
  async update(id: string, changes: UserChanges): Promise<User | undefined> {
    return this.db.updateTable('users').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
  }
}
