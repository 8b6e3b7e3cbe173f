/**
 * Work events can be corrected (PATCH), so they record when they last changed. Nullable because SQLite
 * cannot add a NOT NULL column without a default; every row gets a value (backfilled from created_at, then
 * set on every insert and update by the service).
 */
import { sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);
  await db.schema.alterTable('work_events').addColumn('updated_at', t.timestamp).execute();
  await sql`update work_events set updated_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('work_events').dropColumn('updated_at').execute();
}
