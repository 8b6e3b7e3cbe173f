/**
 * The set-based heart of the release. Inside one month's transaction, the month's complete weeks (finalized
 * weeks and ISO weeks of seven confirmed days) are scanned once into a temporary table of the people who
 * count (one row each, with their clipped mean weekly hours and their cell); cell totals and the privacy
 * ledger are then derived from that small table. Temporary tables belong to the connection and their creation
 * is transactional on both databases: a rollback removes it, and `dropStage` removes it before commit.
 * Nothing but one row per cell reaches Node.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../schema.js';
import { addDays } from '../../services/periods.js';
import type { CellData } from '../../services/statistics-method.js';
import { NOT_SPECIFIED, PROFESSION_CODES, SPECIALTY_KEYS, STATE_CODES } from '../../services/taxonomy.js';

/** What counts for one month: its days, the per-person clipping bound and the consent versions in force. */
export interface AggregationWindow {
  first: string;
  last: string;
  /** The upper clipping bound of a person's mean weekly hours, in grid units (1/100 hour). */
  capGrid: number;
  /** CURRENT_TERMS_VERSION / CURRENT_PRIVACY_VERSION: only people who accepted these are counted. */
  consent: { terms: string; privacy: string };
}

interface StagedPerson {
  user_id: string;
  state_code: string;
  department_group: string;
  profession: string;
  weeks: number;
  actual_grid: number;
  planned_grid: number;
}

type StageDB = DB & { aggregation_stage: StagedPerson };

/**
 * The Mondays of the ISO weeks that belong to the month: those whose Thursday lies in it (so every week
 * belongs to exactly one month, and a month has four or five weeks).
 */
export function weeksOfMonth(first: string, last: string): string[] {
  const weekday = new Date(`${first}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  const mondayOfFirst = addDays(first, -((weekday + 6) % 7));
  let monday = addDays(mondayOfFirst, 3) >= first ? mondayOfFirst : addDays(mondayOfFirst, 7);
  const mondays: string[] = [];
  for (; addDays(monday, 3) <= last; monday = addDays(monday, 7)) mondays.push(monday);
  return mondays;
}

/** The week's index in `mondays` for a date column (days of no listed week: null). Plain comparisons with date literals, valid on both databases. */
function weekIndex(column: string, mondays: string[], exact: boolean): RawBuilder<number | null> {
  const ref = sql.ref(column);
  const branches = mondays.map((monday, i) =>
    exact
      ? sql`when ${ref} = ${sql.lit(monday)} then ${sql.lit(i)}`
      : sql`when ${ref} >= ${sql.lit(monday)} and ${ref} <= ${sql.lit(addDays(monday, 6))} then ${sql.lit(i)}`,
  );
  return sql<number | null>`case ${sql.join(branches, sql` `)} end`;
}

/**
 * One person's mean weekly hours in grid units from the sum over their complete weeks in hundredths of a
 * minute (`cm`, exact for minutes and for hundredths of an hour) and their number of weeks:
 * cm / (60 · weeks), rounded half up with integer arithmetic (identical on both databases), clipped to
 * [0, capGrid].
 */
function meanWeeklyGrid(column: 'actual_cm' | 'planned_cm', capGrid: number) {
  const cap = sql.lit(Math.floor(capGrid));
  // PostgreSQL sums bigints as numeric, which would not divide as integers: cast back.
  const total = sql`cast(sum(${sql.ref(column)}) as bigint)`;
  const rounded = sql`(2 * ${total} + 60 * count(*)) / (120 * count(*))`;
  return sql<number>`case when ${total} <= 0 then 0 when ${rounded} > ${cap} then ${cap} else ${rounded} end`;
}

export class MonthlyAggregationRepository {
  private readonly db: Kysely<StageDB>;

  constructor(db: Kysely<DB>) {
    this.db = db.withTables<{ aggregation_stage: StagedPerson }>();
  }

  /** The earliest day that counts in some month: a work event's date or a finalized week's Thursday. */
  async earliestEventDate(): Promise<string | null> {
    const event = await this.db
      .selectFrom('work_events')
      .select((eb) => eb.fn.min('date').as('first'))
      .executeTakeFirst();
    const week = await this.db
      .selectFrom('finalized_weeks')
      .select((eb) => eb.fn.min('week_start').as('first'))
      .executeTakeFirst();
    const dates = [event?.first, week?.first ? addDays(week.first, 3) : null].filter((d): d is string => !!d);
    return dates.length === 0 ? null : dates.sort()[0]!;
  }

  /**
   * Stages the people who count in the month (docs/privacy.md, "Who counts"):
   * - a person counts through complete weeks of the month (weeks whose Thursday lies in it): a finalized
   *   week from the app, or an ISO week with all seven days confirmed as work events (days off confirmed as
   *   zero). A week with a finalized week counts once, as the finalized week: its daily events are ignored;
   * - their figure is the mean weekly actual and planned hours over those weeks, each clipped to [0, cap];
   * - registered (profession, state, consent to the current terms and privacy versions), not a demo account;
   * - their one cell is their profile at this moment (state × department group, `not_specified` without
   *   one, × profession), restricted to the public domain of codes.
   */
  async stagePeople(window: AggregationWindow): Promise<void> {
    const mondays = weeksOfMonth(window.first, window.last);
    const from = mondays[0]!;
    const to = addDays(mondays.at(-1)!, 6);
    const days = this.db
      .selectFrom('work_events as e')
      .select([
        'e.user_id',
        weekIndex('e.date', mondays, false).as('week'),
        sql<number>`e.actual_minutes * 100`.as('actual_cm'),
        sql<number>`e.planned_minutes * 100`.as('planned_cm'),
      ])
      .where('e.date', '>=', from)
      .where('e.date', '<=', to);
    const dailyWeeks = this.db
      .selectFrom(days.as('d'))
      .select(['d.user_id', 'd.week', sql<number>`sum(d.actual_cm)`.as('actual_cm'), sql<number>`sum(d.planned_cm)`.as('planned_cm')])
      .groupBy(['d.user_id', 'd.week'])
      // One event per user and day (a unique key), so seven rows are seven distinct days.
      .having((eb) => eb.fn.countAll(), '=', 7)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('finalized_weeks as f')
              .select(sql.lit(1).as('one'))
              .whereRef('f.user_id', '=', 'd.user_id')
              .where(sql<boolean>`${weekIndex('f.week_start', mondays, true)} = ${sql.ref('d.week')}`),
          ),
        ),
      );
    const finalizedWeeks = this.db
      .selectFrom('finalized_weeks as w')
      .select([
        'w.user_id',
        weekIndex('w.week_start', mondays, true).as('week'),
        // One hundredth of an hour is 60 hundredths of a minute.
        sql<number>`w.actual_centihours * 60`.as('actual_cm'),
        sql<number>`w.planned_centihours * 60`.as('planned_cm'),
      ])
      .where('w.week_start', '>=', from)
      .where('w.week_start', '<=', mondays.at(-1)!);
    const perPerson = this.db
      .selectFrom(dailyWeeks.unionAll(finalizedWeeks).as('k'))
      .select('k.user_id')
      .select(sql<number>`count(*)`.as('weeks'))
      .select(meanWeeklyGrid('actual_cm', window.capGrid).as('actual_grid'))
      .select(meanWeeklyGrid('planned_cm', window.capGrid).as('planned_grid'))
      .groupBy('k.user_id');
    const eligible = this.db
      .selectFrom(perPerson.as('p'))
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select((eb) => [
        'p.user_id',
        'u.state_code',
        eb.fn.coalesce('u.department_group', eb.val(NOT_SPECIFIED)).as('department_group'),
        'u.profession',
        'p.weeks',
        'p.actual_grid',
        'p.planned_grid',
      ])
      .where('u.is_demo', '=', false)
      .where('u.consent_accepted_at', 'is not', null)
      // Consent to outdated terms or privacy policy: stored, but counted again only once they consent anew.
      .where((eb) =>
        eb.and([eb('u.terms_accepted_version', '=', window.consent.terms), eb('u.privacy_accepted_version', '=', window.consent.privacy)]),
      )
      .where('u.state_code', 'in', STATE_CODES)
      .where('u.profession', 'in', PROFESSION_CODES)
      .where((eb) => eb(eb.fn.coalesce('u.department_group', eb.val(NOT_SPECIFIED)), 'in', [...SPECIALTY_KEYS]));
    await this.db.schema.dropTable('aggregation_stage').ifExists().execute();
    await this.db.schema.createTable('aggregation_stage').temporary().as(eligible).execute();
  }

  /**
   * Every cell with at least one staged person (the caller adds the empty cells of the domain), in grid
   * units: Σ of the people's clipped mean weekly actual hours, and Σ of their overtime (clipped actual −
   * clipped planned, clipped to ±overtimeBound).
   */
  async cellTotals(overtimeBound: number): Promise<CellData[]> {
    const bound = sql.lit(Math.floor(overtimeBound));
    const overtime = sql<number>`case when actual_grid - planned_grid > ${bound} then ${bound}
      when planned_grid - actual_grid > ${bound} then -${bound} else actual_grid - planned_grid end`;
    const rows = await this.db
      .selectFrom('aggregation_stage')
      .select((eb) => [
        'state_code',
        'department_group',
        'profession',
        eb.fn.countAll<number>().as('n_users'),
        eb.fn.sum<number>('actual_grid').as('actual_sum'),
        eb.fn.sum<number>(overtime).as('overtime_sum'),
      ])
      .groupBy(['state_code', 'department_group', 'profession'])
      .orderBy('state_code')
      .orderBy('department_group')
      .orderBy('profession')
      .execute();
    return rows.map((r) => ({
      state_code: r.state_code,
      department_group: r.department_group,
      profession: r.profession,
      n_users: Number(r.n_users),
      actual_sum: Number(r.actual_sum),
      overtime_sum: Number(r.overtime_sum),
    }));
  }

  /**
   * A privacy-ledger row for every staged person, whether or not their cell is displayed: every noisy value
   * of every cell is computed from the month's data, so each counted person spent `epsilon`. Returns the
   * number of rows written.
   */
  async recordLedger(period: string, epsilon: number, at: string): Promise<number> {
    const result = await this.db
      .insertInto('privacy_ledger')
      .columns(['user_id', 'period', 'state_code', 'specialty', 'profession', 'epsilon', 'created_at'])
      .expression(
        this.db
          .selectFrom('aggregation_stage as s')
          .select((eb) => [
            's.user_id',
            eb.val(period).as('period'),
            's.state_code',
            's.department_group',
            's.profession',
            eb.val(epsilon).as('epsilon'),
            eb.val(at).as('created_at'),
          ]),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async dropStage(): Promise<void> {
    await this.db.schema.dropTable('aggregation_stage').ifExists().execute();
  }
}
