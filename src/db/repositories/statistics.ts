/**
 * The statistics release: the set-based query that turns a month of work events into per-cell totals, and
 * the published cells and months. Everything heavy runs in the database; Node only sees one row per cell.
 */
import { sql, type Kysely } from 'kysely';
import type { DB, StatsByStateSpecialtyTable, StatsPeriodsTable } from '../schema.js';

/** What counts for one month: its days, the minimum number of reported days, and the per-person cap. */
export interface AggregationWindow {
  first: string;
  last: string;
  minDays: number;
  /** WEEKLY_HOURS_CAP in grid units (1/100 hour), rounded down. */
  capGrid: number;
}

/** Totals of one (state, specialty) cell; sums are of clipped weekly hours in grid units (1/100 hour). */
export interface CellTotals {
  state_code: string;
  specialty: string;
  n_users: number;
  actual_sum: number;
  planned_sum: number;
}

export type StatsRow = StatsByStateSpecialtyTable;

export interface StatsFilter {
  period?: string;
  state_code?: string;
  specialty?: string;
}

/**
 * One person's weekly hours in grid units: mean minutes per reported day × 7 / 60 × 100 = 35·sum / (3·days),
 * rounded half up with integer arithmetic (identical on both databases), then clipped to [0, capGrid].
 */
function weeklyGrid(column: 'actual_minutes' | 'planned_minutes', capGrid: number) {
  const cap = sql.lit(Math.floor(capGrid));
  const rounded = sql`(70 * sum(${sql.ref(column)}) + 3 * count(*)) / (6 * count(*))`;
  return sql<number>`case when sum(${sql.ref(column)}) <= 0 then 0 when ${rounded} > ${cap} then ${cap} else ${rounded} end`;
}

/**
 * The people who count in a month, with their clipped weekly hours: registered (state, specialty and consent
 * set), not demo accounts, with at least `minDays` events in the month. One row per person.
 */
export function eligiblePeople(db: Kysely<DB>, window: AggregationWindow) {
  const perPerson = db
    .selectFrom('work_events')
    .select('user_id')
    .select(weeklyGrid('actual_minutes', window.capGrid).as('actual_grid'))
    .select(weeklyGrid('planned_minutes', window.capGrid).as('planned_grid'))
    .where('date', '>=', window.first)
    .where('date', '<=', window.last)
    .groupBy('user_id')
    .having((eb) => eb.fn.countAll(), '>=', window.minDays);
  return db
    .selectFrom(perPerson.as('p'))
    .innerJoin('users as u', 'u.id', 'p.user_id')
    .where('u.is_demo', '=', false)
    .where('u.state_code', 'is not', null)
    .where('u.specialty', 'is not', null)
    .where('u.consent_accepted_at', 'is not', null);
}

export class StatisticsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async earliestEventDate(): Promise<string | null> {
    const row = await this.db
      .selectFrom('work_events')
      .select((eb) => eb.fn.min('date').as('first'))
      .executeTakeFirst();
    return row?.first ?? null;
  }

  /** Every cell with at least one eligible person, suppressed or not. */
  async cellTotals(window: AggregationWindow): Promise<CellTotals[]> {
    const rows = await eligiblePeople(this.db, window)
      .select((eb) => [
        sql<string>`u.state_code`.as('state_code'),
        sql<string>`u.specialty`.as('specialty'),
        eb.fn.countAll<number>().as('n_users'),
        eb.fn.sum<number>('p.actual_grid').as('actual_sum'),
        eb.fn.sum<number>('p.planned_grid').as('planned_sum'),
      ])
      .groupBy(['u.state_code', 'u.specialty'])
      .orderBy('u.state_code')
      .orderBy('u.specialty')
      .execute();
    return rows.map((r) => ({
      state_code: r.state_code,
      specialty: r.specialty,
      n_users: Number(r.n_users),
      actual_sum: Number(r.actual_sum),
      planned_sum: Number(r.planned_sum),
    }));
  }

  async processedPeriods(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('stats_periods').select('period').execute();
    return new Set(rows.map((r) => r.period));
  }

  async isProcessed(period: string): Promise<boolean> {
    const row = await this.db.selectFrom('stats_periods').select('period').where('period', '=', period).executeTakeFirst();
    return row !== undefined;
  }

  async insertCells(rows: StatsRow[]): Promise<void> {
    if (rows.length > 0) await this.db.insertInto('stats_by_state_specialty').values(rows).execute();
  }

  async markProcessed(row: StatsPeriodsTable): Promise<void> {
    await this.db.insertInto('stats_periods').values(row).execute();
  }

  /** Published cells, newest period first. */
  async list(filter: StatsFilter, limit: number, offset: number): Promise<StatsRow[]> {
    return this.filtered(filter)
      .selectAll()
      .orderBy('period', 'desc')
      .orderBy('state_code')
      .orderBy('specialty')
      .limit(limit)
      .offset(offset)
      .execute();
  }

  async count(filter: StatsFilter): Promise<number> {
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Distinct values of a column over the published cells, for the public summary. */
  async distinct(column: 'period' | 'state_code' | 'specialty'): Promise<string[]> {
    const rows = await this.db.selectFrom('stats_by_state_specialty').select(column).distinct().orderBy(column).execute();
    return rows.map((r) => r[column]);
  }

  private filtered(filter: StatsFilter) {
    let query = this.db.selectFrom('stats_by_state_specialty');
    if (filter.period !== undefined) query = query.where('period', '=', filter.period);
    if (filter.state_code !== undefined) query = query.where('state_code', '=', filter.state_code);
    if (filter.specialty !== undefined) query = query.where('specialty', '=', filter.specialty);
    return query;
  }
}
