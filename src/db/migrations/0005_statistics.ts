/**
 * The privacy-preserving release (issue 5): the published figures of a cell gain planned hours, overtime, the
 * noise interval and the privacy parameters they were made with; months are frozen once processed; every
 * person included in a published cell gets a privacy-ledger row; and each aggregation run is recorded for
 * the operators.
 */
import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);

  // Nullable: SQLite cannot add NOT NULL columns without a default, and a row imported from the seed system
  // (which published only n_users and avg_weekly_hours) truly has no value for them. Every row this service
  // publishes sets all of them.
  for (const [column, type] of [
    ['avg_planned_weekly_hours', t.float],
    ['avg_overtime_weekly_hours', t.float],
    ['ci90_half_width', t.float],
    ['epsilon', t.float],
    ['k_min', 'integer'],
  ] as const) {
    await db.schema.alterTable('stats_by_state_specialty').addColumn(column, type).execute();
  }
  // The public endpoint lists newest periods first, optionally filtered by state or specialty.
  await db.schema
    .createIndex('stats_by_state_specialty_period_idx')
    .on('stats_by_state_specialty')
    .columns(['period desc', 'state_code', 'specialty'])
    .execute();

  // One row per month that has been processed, published cells or not: its presence freezes the month, and
  // its primary key makes a second publication of the same month fail instead of happening twice.
  await db.schema
    .createTable('stats_periods')
    .addColumn('period', 'text', (c) => c.primaryKey())
    .addColumn('published_at', t.timestamp, (c) => c.notNull())
    .addColumn('cells_published', 'integer', (c) => c.notNull())
    .addColumn('cells_suppressed', 'integer', (c) => c.notNull())
    .addColumn('users_counted', 'integer', (c) => c.notNull())
    .execute();

  // Each person is in at most one cell per month, so (user_id, period) identifies a ledger entry.
  await db.schema
    .createTable('privacy_ledger')
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('state_code', 'text', (c) => c.notNull())
    .addColumn('specialty', 'text', (c) => c.notNull())
    .addColumn('epsilon', t.float, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('privacy_ledger_pkey', ['user_id', 'period'])
    .execute();

  await db.schema
    .createTable('aggregation_runs')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    // JSON array of the periods published by the run, e.g. ["2026-01"].
    .addColumn('periods', 'text', (c) => c.notNull())
    .addColumn('cells_published', 'integer', (c) => c.notNull())
    .addColumn('cells_suppressed', 'integer', (c) => c.notNull())
    .addColumn('users_counted', 'integer', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('aggregation_runs_finished_at_idx').on('aggregation_runs').column('finished_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['aggregation_runs', 'privacy_ledger', 'stats_periods']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.dropIndex('stats_by_state_specialty_period_idx').execute();
  for (const column of ['k_min', 'epsilon', 'ci90_half_width', 'avg_overtime_weekly_hours', 'avg_planned_weekly_hours']) {
    await db.schema.alterTable('stats_by_state_specialty').dropColumn(column).execute();
  }
}
