/** The seed's schema: users, work events, verification codes and the published statistics. */
import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);

  await db.schema
    .createTable('users')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('email_hash', 'text', (c) => c.notNull().unique())
    .addColumn('hospital_id', 'text')
    .addColumn('specialty', 'text')
    .addColumn('role_level', 'text')
    .addColumn('state_code', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('terms_accepted_version', 'text')
    .addColumn('privacy_accepted_version', 'text')
    .addColumn('consent_accepted_at', t.timestamp)
    .addColumn('is_demo', t.boolean, (c) => c.notNull().defaultTo(false))
    .execute();

  await db.schema
    .createTable('work_events')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('date', t.date, (c) => c.notNull())
    .addColumn('planned_minutes', 'integer', (c) => c.notNull())
    .addColumn('actual_minutes', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('work_events_user_id_date_key', ['user_id', 'date'])
    .execute();
  // The unique (user_id, date) index also serves "this user's events by date"; aggregation scans by date.
  await db.schema.createIndex('work_events_date_idx').on('work_events').column('date').execute();

  await db.schema
    .createTable('verification_codes')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('used', t.boolean, (c) => c.notNull().defaultTo(false))
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('verification_codes_email_hash_idx')
    .on('verification_codes')
    .column('email_hash')
    .execute();

  await db.schema
    .createTable('stats_by_state_specialty')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('state_code', 'text', (c) => c.notNull())
    .addColumn('specialty', 'text', (c) => c.notNull())
    .addColumn('n_users', 'integer', (c) => c.notNull())
    .addColumn('avg_weekly_hours', t.float, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('stats_by_state_specialty_cell_key', ['period', 'state_code', 'specialty'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['stats_by_state_specialty', 'verification_codes', 'work_events', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
