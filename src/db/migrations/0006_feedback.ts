/**
 * Bug reports and suggestions from the app. `user_id` is set only when the sender was signed in, and the
 * report is erased with the user (ON DELETE CASCADE). Also indexes `work_events.created_at`, which the
 * admin dashboard reads ("submissions in the last 24 hours", the 10 most recent, per day for 30 days)
 * and which would otherwise mean scanning every event on each dashboard refresh.
 */
import { sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);
  await db.schema
    .createTable('feedback')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('app_version', 'text')
    .addColumn('build_number', 'text')
    .addColumn('platform', 'text')
    .addColumn('device_model', 'text')
    .addColumn('os_version', 'text')
    .addColumn('app_state', t.json)
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('new').check(sql`status in ('new', 'resolved', 'dismissed')`))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  // The admin list filters by status, newest first; the retention purge deletes by age.
  await db.schema.createIndex('feedback_status_created_at_idx').on('feedback').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('feedback_created_at_idx').on('feedback').column('created_at').execute();
  // Deleting a user looks up their reports; without this index PostgreSQL scans the table per deletion.
  await db.schema.createIndex('feedback_user_id_idx').on('feedback').column('user_id').execute();

  await db.schema.createIndex('work_events_created_at_idx').ifNotExists().on('work_events').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('work_events_created_at_idx').ifExists().execute();
  await db.schema.dropTable('feedback').execute();
}
