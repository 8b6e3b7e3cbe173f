/** The record of aggregation runs that the operators (admin dashboard, CLI) read. */
import type { Kysely } from 'kysely';
import type { AggregationRunsTable, DB } from '../schema.js';

export type AggregationRunRow = AggregationRunsTable;

export class AggregationRunRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: AggregationRunRow): Promise<void> {
    await this.db.insertInto('aggregation_runs').values(row).execute();
  }

  /** The most recently finished run. */
  async last(): Promise<AggregationRunRow | null> {
    const row = await this.db
      .selectFrom('aggregation_runs')
      .selectAll()
      .orderBy('finished_at', 'desc')
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  /** The most recent run that published at least one month (later runs often find nothing to do). */
  async lastPublishing(): Promise<AggregationRunRow | null> {
    const row = await this.db
      .selectFrom('aggregation_runs')
      .selectAll()
      .where('periods', '<>', '[]')
      .orderBy('finished_at', 'desc')
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async recent(limit: number): Promise<AggregationRunRow[]> {
    return this.db
      .selectFrom('aggregation_runs')
      .selectAll()
      .orderBy('finished_at', 'desc')
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** Per outcome: how many runs, and when the latest of them finished (for monitoring). */
  async summaryByStatus(): Promise<{ status: string; runs: number; last_finished_at: string | null }[]> {
    const rows = await this.db
      .selectFrom('aggregation_runs')
      .select((eb) => ['status', eb.fn.countAll<number>().as('runs'), eb.fn.max('finished_at').as('last_finished_at')])
      .groupBy('status')
      .execute();
    return rows.map((r) => ({ status: r.status, runs: Number(r.runs), last_finished_at: r.last_finished_at ?? null }));
  }
}
