/**
 * The statistics the original backend published, as imported (docs/migrating.md): served read-only, each row
 * labelled with the method that produced it, never recomputed, re-noised or mixed with ours (which are
 * monthly, under another method, at /stats/by-state-specialty).
 */
import type { ImportedStatisticsFilter, ImportedStatisticsRepository } from '../db/repositories/imported-statistics.js';
import type { ImportedStatisticsTable } from '../db/schema.js';
import { ORIGINAL_STATISTICS_METHODS } from './import-original.js';

/** What each `method` label means, for the API documentation and the response's readers. */
export const ORIGINAL_METHOD_DESCRIPTIONS: Record<string, string> = {
  [ORIGINAL_STATISTICS_METHODS.weekly]:
    "the original backend's weekly cells by state and specialty (from 2026-03-20): at least 5 people (11 at first), Laplace noise, adaptive ε ≤ 1 per cell and week",
  [ORIGINAL_STATISTICS_METHODS.legacy]:
    "the original backend's first statistics (until 2026-03-20): grouped by the current profile, at least 10-11 people, with a noise the original later found faulty; kept as it was shown",
};

export const IMPORTED_STATS_COLUMNS = [
  'stat_id',
  'method',
  'country_code',
  'state_code',
  'specialty',
  'period_type',
  'period_start',
  'period_end',
  'planned_mean_hours',
  'overtime_mean_hours',
  'planned_ci_half',
  'actual_ci_half',
  'overtime_ci_half',
  'n_display',
  'computed_at',
  'imported_at',
] as const satisfies readonly (keyof ImportedStatsRow)[];

/** A row as served: the table's columns, its id as `stat_id` (the original's name). */
export type ImportedStatsRow = Omit<ImportedStatisticsTable, 'id'> & { stat_id: string };

export class ImportedStatisticsService {
  constructor(private readonly statistics: ImportedStatisticsRepository) {}

  async list(filter: ImportedStatisticsFilter, limit: number, offset: number): Promise<{ rows: ImportedStatsRow[]; total: number }> {
    const [rows, total] = await Promise.all([this.statistics.list(filter, limit, offset), this.statistics.count(filter)]);
    return {
      // Floating-point columns come back as numbers from both drivers: the row is served as stored.
      rows: rows.map(({ id, ...row }) => ({ stat_id: id, ...row })),
      total,
    };
  }
}
