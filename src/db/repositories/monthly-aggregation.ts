/**
 * The set-based heart of the release. Inside one month's transaction, the events and finalized weeks of the
 * month are scanned once into a temporary table of the people who count (one row each, with their clipped weekly hours);
 * cell totals and the privacy ledger are then derived from that small table. Temporary tables belong to
 * the connection and their creation is transactional on both databases: a rollback removes it, and
 * `dropStage` removes it before commit. Nothing but one row per cell reaches Node.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { addDays } from '../../services/periods.js';
import { NOT_SPECIFIED } from '../../services/taxonomy.js';

/** What counts for one month: its days, the minimum number of reported days, and the per-person cap. */
export interface AggregationWindow {
  first: string;
  last: string;
  minDays: number;
  /** WEEKLY_HOURS_CAP in grid units (1/100 hour), rounded down. */
  capGrid: number;
  /** CURRENT_TERMS_VERSION / CURRENT_PRIVACY_VERSION: only people who accepted these are counted. */
  consent: { terms: string; privacy: string };
}

/** Totals of one (state, specialty) cell; sums are of clipped weekly hours in grid units (1/100 hour). */
export interface CellTotals {
  state_code: string;
  specialty: string;
  n_users: number;
  actual_sum: number;
  planned_sum: number;
}

interface StagedPerson {
  user_id: string;
  state_code: string;
  specialty: string;
  actual_grid: number;
  planned_grid: number;
}

type StageDB = DB & { aggregation_stage: StagedPerson };

/**
 * One person's weekly hours in grid units: mean minutes per reported day × 7 / 60 × 100, from the sum of their
 * rows in hundredths of a minute (`cm`, exact for both minutes and hundredths of an hour) and their number of
 * days: 7·cm / (60·days), rounded half up with integer arithmetic (identical on both databases), then clipped
 * to [0, capGrid]. For daily events alone (cm = 100 × minutes) this is 35·minutes / (3·days), as before.
 */
function weeklyGrid(column: 'actual_cm' | 'planned_cm', capGrid: number) {
  const cap = sql.lit(Math.floor(capGrid));
  const total = sql`sum(${sql.ref(column)})`;
  const rounded = sql`(14 * ${total} + 60 * sum(days)) / (120 * sum(days))`;
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
   * Stages the people who count in the month: registered (profession and consent set) with a state, not demo
   * accounts, with at least `minDays` reported days in the month; their cell is their profile's state and
   * department group (`not_specified` without one) at this moment.
   *
   * Reported days are the person's daily work events in the month plus their finalized weeks whose Thursday
   * lies in the month (the ISO rule: each week belongs to exactly one month), each week as seven days with
   * its total hours. A daily event inside one of the person's finalized weeks is not counted again: the week
   * is what the person confirmed for those days.
   */
  async stagePeople(window: AggregationWindow): Promise<void> {
    const events = this.db
      .selectFrom('work_events as e')
      .select([
        'e.user_id',
        sql<number>`1`.as('days'),
        sql<number>`e.actual_minutes * 100`.as('actual_cm'),
        sql<number>`e.planned_minutes * 100`.as('planned_cm'),
      ])
      .where('e.date', '>=', window.first)
      .where('e.date', '<=', window.last)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('finalized_weeks as f')
              .select(sql.lit(1).as('one'))
              .whereRef('f.user_id', '=', 'e.user_id')
              .whereRef('f.week_start', '<=', 'e.date')
              .whereRef('f.week_end', '>=', 'e.date'),
          ),
        ),
      );
    const weeks = this.db
      .selectFrom('finalized_weeks as w')
      .select([
        'w.user_id',
        sql<number>`7`.as('days'),
        // One hundredth of an hour is 60 hundredths of a minute.
        sql<number>`w.actual_centihours * 60`.as('actual_cm'),
        sql<number>`w.planned_centihours * 60`.as('planned_cm'),
      ])
      // The Thursday (week_start + 3) in the month.
      .where('w.week_start', '>=', addDays(window.first, -3))
      .where('w.week_start', '<=', addDays(window.last, -3));
    const perPerson = this.db
      .selectFrom(events.unionAll(weeks).as('d'))
      .select('d.user_id')
      .select(weeklyGrid('actual_cm', window.capGrid).as('actual_grid'))
      .select(weeklyGrid('planned_cm', window.capGrid).as('planned_grid'))
      .groupBy('d.user_id')
      .having((eb) => eb.fn.sum('d.days'), '>=', window.minDays);
    const eligible = this.db
      .selectFrom(perPerson.as('p'))
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select((eb) => [
        'p.user_id',
        'u.state_code',
        eb.fn.coalesce('u.department_group', eb.val(NOT_SPECIFIED)).as('specialty'),
        'p.actual_grid',
        'p.planned_grid',
      ])
      .where('u.is_demo', '=', false)
      .where('u.state_code', 'is not', null)
      .where('u.profession', 'is not', null)
      .where('u.consent_accepted_at', 'is not', null)
      // Consent to outdated terms or privacy policy: stored, but counted again only once they consent anew.
      .where((eb) =>
        eb.and([eb('u.terms_accepted_version', '=', window.consent.terms), eb('u.privacy_accepted_version', '=', window.consent.privacy)]),
      );
    await this.db.schema.dropTable('aggregation_stage').ifExists().execute();
    await this.db.schema.createTable('aggregation_stage').temporary().as(eligible).execute();
  }

  /** Every cell with at least one staged person, suppressed or not. */
  async cellTotals(): Promise<CellTotals[]> {
    const rows = await this.db
      .selectFrom('aggregation_stage')
      .select((eb) => [
        'state_code',
        'specialty',
        eb.fn.countAll<number>().as('n_users'),
        eb.fn.sum<number>('actual_grid').as('actual_sum'),
        eb.fn.sum<number>('planned_grid').as('planned_sum'),
      ])
      .groupBy(['state_code', 'specialty'])
      .orderBy('state_code')
      .orderBy('specialty')
      .execute();
    return rows.map((r) => ({
      state_code: r.state_code,
      specialty: r.specialty,
      n_users: Number(r.n_users),
      actual_sum: Number(r.actual_sum),
      planned_sum: Number(r.planned_sum),
    }));
  }

  /**
   * A privacy-ledger row for every staged person whose cell has at least `kMin` people: the same rule that
   * publishes the cell. Returns the number of rows written.
   */
  async recordLedger(period: string, kMin: number, epsilon: number, at: string): Promise<number> {
    const published = this.db
      .selectFrom('aggregation_stage')
      .select(['state_code', 'specialty'])
      .groupBy(['state_code', 'specialty'])
      .having((eb) => eb.fn.countAll(), '>=', kMin);
    const result = await this.db
      .insertInto('privacy_ledger')
      .columns(['user_id', 'period', 'state_code', 'specialty', 'epsilon', 'created_at'])
      .expression(
        this.db
          .selectFrom('aggregation_stage as s')
          .innerJoin(published.as('c'), (join) => join.onRef('c.state_code', '=', 's.state_code').onRef('c.specialty', '=', 's.specialty'))
          .select((eb) => [
            's.user_id',
            eb.val(period).as('period'),
            's.state_code',
            's.specialty',
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
