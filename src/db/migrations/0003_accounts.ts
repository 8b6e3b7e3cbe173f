/**
 * Accounts: at most one login code per e-mail hash. A new code request replaces the previous code in one
 * upsert on this unique index, so two requests racing can never leave two valid codes for one address.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Keep only the newest code per address (codes live 15 minutes, so this loses nothing of value).
  await sql`
    delete from verification_codes
    where exists (
      select 1 from verification_codes newer
      where newer.email_hash = verification_codes.email_hash
        and (newer.created_at > verification_codes.created_at
             or (newer.created_at = verification_codes.created_at and newer.id > verification_codes.id))
    )`.execute(db);
  await db.schema.dropIndex('verification_codes_email_hash_idx').execute();
  await db.schema
    .createIndex('verification_codes_email_hash_key')
    .on('verification_codes')
    .column('email_hash')
    .unique()
    .execute();
  // The daily purge deletes expired codes by expiry.
  await db.schema.createIndex('verification_codes_expires_at_idx').on('verification_codes').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('verification_codes_expires_at_idx').execute();
  await db.schema.dropIndex('verification_codes_email_hash_key').execute();
  await db.schema.createIndex('verification_codes_email_hash_idx').on('verification_codes').column('email_hash').execute();
}
