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

  async recent(limit: number): Promise<AggregationRunRow[]> {
    return this.db.selectFrom('aggregation_runs').selectAll().orderBy('finished_at', 'desc').limit(limit).execute();
  }
}
