/**
 * The public side of the statistics: published cells, the summary with its methodology, and a person's own
 * privacy ledger. Everything here reads published rows only, never work events or users.
 */
import type { Config } from '../config.js';
import type { PrivacyLedgerRepository } from '../db/repositories/privacy-ledger.js';
import type { StatisticsRepository, StatsFilter, StatsRow } from '../db/repositories/statistics.js';
import { GRID_PER_HOUR, N_USERS_ROUNDING } from './aggregation.js';
import type { Clock } from './clock.js';
import { monthRange } from './periods.js';
import { ResponseCache } from './response-cache.js';
import { COUNTRY_CODE, specialtyByCode, stateByCode, type TaxonomyEntry } from './taxonomy.js';

/** How long another process may serve its cached copy after a publication (and the public max-age). */
export const STATS_CACHE_TTL_SECONDS = 60;

/**
 * One published cell as everyone receives it: the app's insights card (contract mobile-app-v2 §4.12), the
 * public page, the CSV and any other client. The first eleven fields are the original public columns; the
 * rest are the names the app reads, most of them the same values under another name.
 */
export interface PublicStatsRow {
  period: string;
  state_code: string;
  specialty: string;
  n_users: number;
  avg_weekly_hours: number;
  avg_planned_weekly_hours: number | null;
  avg_overtime_weekly_hours: number | null;
  ci90_half_width: number | null;
  epsilon: number | null;
  k_min: number | null;
  created_at: string;
  stat_id: string;
  country_code: string;
  /** First and last day of the month, YYYY-MM-DD. */
  period_start: string;
  period_end: string;
  planned_mean_hours: number | null;
  overtime_mean_hours: number | null;
  actual_ci_half: number | null;
  /** Null for months published before planned and overtime intervals were computed. */
  planned_ci_half: number | null;
  overtime_ci_half: number | null;
  n_display: number;
  /** Only published cells are ever stored or served (suppressed cells are not stored at all). */
  status: 'published';
  computed_at: string;
}

/** The CSV columns, in order: every field of the row. */
export const PUBLIC_COLUMNS = [
  'period',
  'state_code',
  'specialty',
  'n_users',
  'avg_weekly_hours',
  'avg_planned_weekly_hours',
  'avg_overtime_weekly_hours',
  'ci90_half_width',
  'epsilon',
  'k_min',
  'created_at',
  'stat_id',
  'country_code',
  'period_start',
  'period_end',
  'planned_mean_hours',
  'overtime_mean_hours',
  'actual_ci_half',
  'planned_ci_half',
  'overtime_ci_half',
  'n_display',
  'status',
  'computed_at',
] as const satisfies readonly (keyof PublicStatsRow)[];
// A field added to the row without a CSV column fails to compile here.
const everyFieldHasAColumn: [Exclude<keyof PublicStatsRow, (typeof PUBLIC_COLUMNS)[number]>] extends [never] ? true : never = true;
void everyFieldHasAColumn;

/** The filters of the public list; `country_code` is only ever `DEU` (every account is in Germany). */
export interface PublicStatsFilter extends StatsFilter {
  country_code?: string;
}

export interface Methodology {
  k_min: number;
  epsilon: number;
  epsilon_actual: number;
  epsilon_planned: number;
  weekly_hours_cap: number;
  min_days_per_user: number;
  grace_days: number;
  timezone: string;
  noise: string;
  noise_grid_hours: number;
  n_users_rounding: string;
  confidence_interval: string;
  documentation: string;
}

export interface StatsSummary {
  periods: string[];
  latest_period: string | null;
  cells_published: number;
  states: string[];
  /** Cell keys: department groups and `not_specified`; months published before the app's vocabulary, its first specialties. */
  specialties: string[];
  /** German and English names of the listed states and specialties (a key without a known name is left out). */
  labels: { states: Record<string, Labels>; specialties: Record<string, Labels> };
  methodology: Methodology;
}

export interface Labels {
  de: string;
  en: string;
}

export interface PrivacyLedgerView {
  releases: { period: string; state_code: string; specialty: string; epsilon: number; published_at: string }[];
  /** The original backend's releases that counted the person (imported): weekly cells, its own method. */
  imported_releases: { week_start: string; cell_key: string; epsilon: number; recorded_at: string }[];
  /** Ours and the imported together: the budget a person spent is the sum of both. */
  epsilon_by_year: { year: string; releases: number; epsilon: number }[];
}

export class StatisticsService {
  /** Serialized public responses; cleared by the aggregation when it publishes in this process. */
  readonly cache: ResponseCache;

  constructor(
    private readonly statistics: StatisticsRepository,
    private readonly ledger: PrivacyLedgerRepository,
    private readonly config: Config,
    clock: Clock,
  ) {
    this.cache = new ResponseCache(clock, STATS_CACHE_TTL_SECONDS * 1000);
  }

  async cells(filter: PublicStatsFilter, limit: number, offset: number): Promise<{ rows: PublicStatsRow[]; total: number }> {
    const { country_code, ...cell } = filter;
    if (country_code !== undefined && country_code !== COUNTRY_CODE) return { rows: [], total: 0 };
    return this.cellsInGermany(cell, limit, offset);
  }

  private async cellsInGermany(filter: StatsFilter, limit: number, offset: number): Promise<{ rows: PublicStatsRow[]; total: number }> {
    const [rows, total] = await Promise.all([this.statistics.list(filter, limit, offset), this.statistics.count(filter)]);
    return { rows: rows.map(publicRow), total };
  }

  async summary(): Promise<StatsSummary> {
    const [periods, states, specialties, cells] = await Promise.all([
      this.statistics.distinct('period'),
      this.statistics.distinct('state_code'),
      this.statistics.distinct('specialty'),
      this.statistics.count({}),
    ]);
    periods.reverse();
    return {
      periods,
      latest_period: periods[0] ?? null,
      cells_published: cells,
      states,
      specialties,
      labels: { states: labelsOf(states, stateByCode), specialties: labelsOf(specialties, specialtyByCode) },
      methodology: this.methodology(),
    };
  }

  /** The parameters of the current configuration; each published row also carries its own ε and k. */
  methodology(): Methodology {
    const a = this.config.aggregation;
    const epsilonActual = roundEpsilon(a.epsilon * a.epsilonActualShare);
    return {
      k_min: a.kMin,
      epsilon: a.epsilon,
      epsilon_actual: epsilonActual,
      epsilon_planned: roundEpsilon(a.epsilon - epsilonActual),
      weekly_hours_cap: a.weeklyHoursCap,
      min_days_per_user: a.minDaysPerUser,
      grace_days: a.graceDays,
      timezone: this.config.timezone,
      noise:
        'discrete Laplace, exact integer sampler with cryptographic randomness, added once to the sum of ' +
        'clipped weekly hours of each published cell; scale = weekly_hours_cap / epsilon part',
      noise_grid_hours: 1 / GRID_PER_HOUR,
      n_users_rounding: `rounded down to a multiple of ${N_USERS_ROUNDING}`,
      confidence_interval:
        'ci90_half_width (actual_ci_half) = weekly_hours_cap * ln(10) / (epsilon_actual * n_users): the noise on the ' +
        'average actual hours stays within ± this with at least 90% probability; planned_ci_half the same with ' +
        'epsilon_planned; overtime_ci_half = weekly_hours_cap * ln(20) * (1/epsilon_actual + 1/epsilon_planned) / n_users ' +
        'for actual minus planned (both noises within their 95% bounds); all rounded up to 0.01 h',
      documentation: 'docs/privacy.md',
    };
  }

  /** A person's releases and the privacy budget they spent per calendar year (for GET /auth/me/privacy). */
  async privacyLedger(userId: string): Promise<PrivacyLedgerView> {
    const [entries, imported] = await Promise.all([this.ledger.forUser(userId), this.ledger.importedForUser(userId)]);
    const years = new Map<string, { releases: number; epsilon: number }>();
    const spend = (date: string, epsilon: number) => {
      const year = years.get(date.slice(0, 4)) ?? { releases: 0, epsilon: 0 };
      year.releases += 1;
      year.epsilon += epsilon;
      years.set(date.slice(0, 4), year);
    };
    for (const entry of entries) spend(entry.period, Number(entry.epsilon));
    for (const entry of imported) spend(entry.period_start, Number(entry.epsilon));
    return {
      releases: entries.map((e) => ({
        period: e.period,
        state_code: e.state_code,
        specialty: e.specialty,
        epsilon: Number(e.epsilon),
        published_at: e.created_at,
      })),
      imported_releases: imported.map((e) => ({ week_start: e.period_start, cell_key: e.cell_key, epsilon: Number(e.epsilon), recorded_at: e.recorded_at })),
      epsilon_by_year: [...years]
        .sort(([a], [b]) => b.localeCompare(a))
        .map(([year, y]) => ({ year, releases: y.releases, epsilon: roundEpsilon(y.epsilon) })),
    };
  }

  invalidate(): void {
    this.cache.invalidate();
  }
}

/**
 * The public shape of a stored cell. Overtime is stored as actual − planned on the 1/100-hour grid (see
 * AggregationService.release), so planned_mean_hours + overtime_mean_hours = avg_weekly_hours to the cent,
 * which the app relies on (it shows actual = planned + overtime).
 */
export function publicRow(row: StatsRow): PublicStatsRow {
  const { first, last } = monthRange(row.period);
  return {
    period: row.period,
    state_code: row.state_code,
    specialty: row.specialty,
    n_users: row.n_users,
    avg_weekly_hours: row.avg_weekly_hours,
    avg_planned_weekly_hours: row.avg_planned_weekly_hours,
    avg_overtime_weekly_hours: row.avg_overtime_weekly_hours,
    ci90_half_width: row.ci90_half_width,
    epsilon: row.epsilon,
    k_min: row.k_min,
    created_at: row.created_at,
    stat_id: row.id,
    country_code: COUNTRY_CODE,
    period_start: first,
    period_end: last,
    planned_mean_hours: row.avg_planned_weekly_hours,
    overtime_mean_hours: row.avg_overtime_weekly_hours,
    actual_ci_half: row.ci90_half_width,
    planned_ci_half: row.planned_ci90_half_width,
    overtime_ci_half: row.overtime_ci90_half_width,
    n_display: row.n_users,
    status: 'published',
    computed_at: row.created_at,
  };
}

function labelsOf(codes: string[], entryOf: (code: string) => TaxonomyEntry | undefined): Record<string, Labels> {
  const labels: Record<string, Labels> = {};
  for (const code of codes) {
    const entry = entryOf(code);
    if (entry) labels[code] = { de: entry.de, en: entry.en };
  }
  return labels;
}

/** Sums of decimal ε values without binary-fraction residue (0.1 + 0.2 shows as 0.3). */
function roundEpsilon(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
