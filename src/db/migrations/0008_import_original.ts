/**
 * Moving from the original backend (docs/migrating.md, `npm run import:original`):
 * - `imported_users`: every user id the import has carried over. It tells the import's own earlier rows
 *   from accounts made here (a target holding others is refused), and a user erased here after an import is
 *   never imported again. Deliberately without a foreign key: the id must outlive the erased user.
 * - `imported_privacy_ledger`: the ε the original charged each person per released cell and week, so that a
 *   person's spent budget stays true. Weekly and keyed by the original's cell, so it is kept beside our
 *   monthly ledger, not mixed into it; deleted with the person.
 * - `imported_statistics`: what the original's public API showed as published, frozen: only the figures it
 *   showed, labelled with the method that produced them, never recomputed and never mixed with ours.
 */
import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);

  await db.schema
    .createTable('imported_users')
    .addColumn('user_id', t.uuid, (c) => c.primaryKey())
    .addColumn('imported_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('imported_privacy_ledger')
    // The original's `entry_id`: what makes a second import of the same entry a no-op.
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The ISO Monday of the released week.
    .addColumn('period_start', t.date, (c) => c.notNull())
    // `country/state/specialty`, exactly as the original wrote it (e.g. `DEU/BY/innere_medizin`).
    .addColumn('cell_key', 'text', (c) => c.notNull())
    .addColumn('epsilon', t.float, (c) => c.notNull())
    .addColumn('recorded_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('imported_privacy_ledger_user_id_idx').on('imported_privacy_ledger').column('user_id').execute();

  await db.schema
    .createTable('imported_statistics')
    // The original's public `stat_id`.
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    // Which method produced the row: see ORIGINAL_STATISTICS_METHODS in src/services/import-original.ts.
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('country_code', 'text', (c) => c.notNull())
    .addColumn('state_code', 'text', (c) => c.notNull())
    .addColumn('specialty', 'text', (c) => c.notNull())
    .addColumn('period_type', 'text', (c) => c.notNull())
    .addColumn('period_start', t.date, (c) => c.notNull())
    .addColumn('period_end', t.date, (c) => c.notNull())
    // Hours per person and week, as published (noise included); the original's other values were never shown.
    .addColumn('planned_mean_hours', t.float)
    .addColumn('overtime_mean_hours', t.float)
    .addColumn('planned_ci_half', t.float)
    .addColumn('actual_ci_half', t.float)
    .addColumn('overtime_ci_half', t.float)
    .addColumn('n_display', 'integer')
    .addColumn('computed_at', t.timestamp, (c) => c.notNull())
    .addColumn('imported_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('imported_statistics_period_idx')
    .on('imported_statistics')
    .columns(['period_start desc', 'state_code', 'specialty'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('imported_statistics').execute();
  await db.schema.dropTable('imported_privacy_ledger').execute();
  await db.schema.dropTable('imported_users').execute();
}
