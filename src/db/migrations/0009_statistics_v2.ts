/**
 * Statistics people can trust (issue 13):
 * - `stats_releases`: the figures of the method 'v2-bounded-mean-2026' at every level (Germany, state,
 *   department group, profession, state × department group, cell = state × department group × profession),
 *   one row per displayed unit and month. The first method's rows stay in `stats_by_state_specialty`,
 *   untouched, and are labelled by its new `method` column;
 * - legacy months: a month with rows in `stats_by_state_specialty` but no `stats_periods` entry (published
 *   before 0005) gets its entry, so that it stays frozen and later runs never publish it a second time;
 * - the privacy ledger records the profession of the counted cell.
 */
import { sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(db);
  await db.schema
    .alterTable('stats_by_state_specialty')
    .addColumn('method', 'text', (c) => c.notNull().defaultTo('v1-laplace-2026'))
    .execute();

  await db.schema
    .createTable('stats_releases')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    // Null where the level does not split by that dimension (e.g. all three for Germany).
    .addColumn('state_code', 'text')
    .addColumn('department_group', 'text')
    .addColumn('profession', 'text')
    .addColumn('n_display', 'integer', (c) => c.notNull())
    .addColumn('actual_mean', t.float, (c) => c.notNull())
    .addColumn('planned_mean', t.float, (c) => c.notNull())
    .addColumn('overtime_mean', t.float, (c) => c.notNull())
    .addColumn('actual_ci_half', t.float, (c) => c.notNull())
    .addColumn('planned_ci_half', t.float, (c) => c.notNull())
    .addColumn('overtime_ci_half', t.float, (c) => c.notNull())
    .addColumn('epsilon', t.float, (c) => c.notNull())
    .addColumn('k_min', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('stats_releases_level_period_idx')
    .on('stats_releases')
    .columns(['level', 'period desc', 'state_code', 'department_group', 'profession'])
    .execute();

  await sql`
    insert into stats_periods (period, published_at, cells_published, cells_suppressed, users_counted)
    select s.period, min(s.created_at), count(*), 0, 0
    from stats_by_state_specialty s
    where not exists (select 1 from stats_periods p where p.period = s.period)
    group by s.period`.execute(db);

  await db.schema.alterTable('privacy_ledger').addColumn('profession', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('privacy_ledger').dropColumn('profession').execute();
  await db.schema.dropTable('stats_releases').execute();
  await db.schema.alterTable('stats_by_state_specialty').dropColumn('method').execute();
}
