/** The original backend's published statistics, frozen by `npm run import:original`: read only, never written here. */
import type { Kysely, Selectable } from 'kysely';
import type { DB, ImportedStatisticsTable } from '../schema.js';

export interface ImportedStatisticsFilter {
  method?: string;
  period_start?: string;
  state_code?: string;
  specialty?: string;
}

export class ImportedStatisticsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  #filtered(filter: ImportedStatisticsFilter) {
    let query = this.db.selectFrom('imported_statistics');
    if (filter.method !== undefined) query = query.where('method', '=', filter.method);
    if (filter.period_start !== undefined) query = query.where('period_start', '=', filter.period_start);
    if (filter.state_code !== undefined) query = query.where('state_code', '=', filter.state_code);
    if (filter.specialty !== undefined) query = query.where('specialty', '=', filter.specialty);
    return query;
  }

  /** Newest week first, then by state and specialty (the table's index order), then id for a stable page. */
  async list(filter: ImportedStatisticsFilter, limit: number, offset: number): Promise<Selectable<ImportedStatisticsTable>[]> {
    return this.#filtered(filter)
      .selectAll()
      .orderBy('period_start', 'desc')
      .orderBy('state_code')
      .orderBy('specialty')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute();
  }

  async count(filter: ImportedStatisticsFilter): Promise<number> {
    const row = await this.#filtered(filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
