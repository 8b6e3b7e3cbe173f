/** The published statistics: cells and processed (frozen) months. */
import type { Kysely } from 'kysely';
import type { DB, StatsByStateSpecialtyTable, StatsPeriodsTable } from '../schema.js';

export type StatsRow = StatsByStateSpecialtyTable;

export interface StatsFilter {
  period?: string;
  state_code?: string;
  specialty?: string;
}

export class StatisticsRepository {
  constructor(private readonly db: Kysely<DB>) {}

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
