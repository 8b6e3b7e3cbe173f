/**
 * The public side of the statistics: published cells, the summary with its methodology, and a person's own
 * privacy ledger. Everything here reads published rows only, never work events or users.
 */
import type { Config } from '../config.js';
import type { PrivacyLedgerRepository } from '../db/repositories/privacy-ledger.js';
import type { MarginalFilter, PublicRowData, ReleaseRow, StatisticsRepository, StatsFilter } from '../db/repositories/statistics.js';
import { displayProbability, displayThresholds, GRID_PER_HOUR, METHOD, noisePlan, WHO_COUNTS, Z90 } from './statistics-method.js';
import { toNumber } from './privacy.js';
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
  /** The department group (or not_specified). */
  specialty: string;
  /** Null: all professions together (and every row of the first method); else the profession of a cell. */
  profession: string | null;
  /** 'state_department_group', or 'cell' (state × department group × profession). */
  level: string;
  /** The method that produced the row: 'v1-laplace-2026' (first method) or 'v2-bounded-mean-2026'. */
  method: string;
  /** The displayed (noisy) count; first method: the exact count rounded down to a multiple of 5. */
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
  /** Only displayed figures are ever stored or served. */
  status: 'published';
  computed_at: string;
}

/** The CSV columns, in order: every field of the row. */
export const PUBLIC_COLUMNS = [
  'period',
  'state_code',
  'specialty',
  'profession',
  'level',
  'method',
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
  method: string;
  k_min: number;
  epsilon: number;
  /** ε of each released quantity per level (they add up to epsilon); planned hours are actual − overtime. */
  epsilon_split: { count: Record<string, number>; actual: Record<string, number>; overtime: Record<string, number> };
  weekly_hours_cap: number;
  first_period: string;
  grace_days: number;
  timezone: string;
  who_counts: string;
  noise: string;
  noise_grid_hours: number;
  display_rule: string;
  /** Per level, the noisy count a unit must reach (for the whole domain's units of that level). */
  display_thresholds: Record<string, number>;
  /** A figure is displayed only when each of its 90% intervals is at most ± this (hours). */
  max_half_width_hours: number;
  /** P(a cell with fewer than K_MIN / 2 people is displayed), at most (for K_MIN / 2 − 1 people). */
  small_cell_display_probability: number;
  confidence_interval: string;
  documentation: string;
}

/** A figure of the levels Germany, state, department group or profession. */
export interface MarginalRow {
  period: string;
  level: string;
  method: string;
  state_code: string | null;
  department_group: string | null;
  profession: string | null;
  n_display: number;
  actual_mean_hours: number;
  planned_mean_hours: number;
  overtime_mean_hours: number;
  actual_ci_half: number;
  planned_ci_half: number;
  overtime_ci_half: number;
  epsilon: number;
  k_min: number;
  computed_at: string;
}

export const MARGINAL_COLUMNS = [
  'period',
  'level',
  'method',
  'state_code',
  'department_group',
  'profession',
  'n_display',
  'actual_mean_hours',
  'planned_mean_hours',
  'overtime_mean_hours',
  'actual_ci_half',
  'planned_ci_half',
  'overtime_ci_half',
  'epsilon',
  'k_min',
  'computed_at',
] as const satisfies readonly (keyof MarginalRow)[];
const everyMarginalFieldHasAColumn: [Exclude<keyof MarginalRow, (typeof MARGINAL_COLUMNS)[number]>] extends [never] ? true : never = true;
void everyMarginalFieldHasAColumn;

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
  /** Every month the person was counted in, displayed or not: each spent that month's ε. */
  releases: { period: string; state_code: string; specialty: string; profession: string | null; epsilon: number; published_at: string }[];
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
    const [rows, total] = await Promise.all([
      this.statistics.listByStateSpecialty(filter, limit, offset),
      this.statistics.countByStateSpecialty(filter),
    ]);
    return { rows: rows.map(publicRow), total };
  }

  /** Germany, and per state, department group and profession (all published months, or one). */
  async marginals(filter: MarginalFilter): Promise<MarginalRow[]> {
    return (await this.statistics.listMarginals(filter)).map(marginalRow);
  }

  async summary(): Promise<StatsSummary> {
    const [periods, states, specialties, cells] = await Promise.all([
      this.statistics.distinct('period'),
      this.statistics.distinct('state_code'),
      this.statistics.distinct('specialty'),
      this.statistics.countByStateSpecialty({}),
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

  /** The parameters of the current configuration; each published row also carries its own method, ε and k. */
  methodology(): Methodology {
    const a = this.config.aggregation;
    const plan = noisePlan(a.epsilon, a.weeklyHoursCap);
    const split = (level: string, share: string | undefined) => [level, roundEpsilon(a.epsilon * Number(share ?? 0))] as const;
    const sums = Object.fromEntries(plan.measuredLevels.map((level) => split(level, plan.shares.sums[level])));
    const epsilonCount = toNumber(plan.count.epsilon);
    const thresholds = displayThresholds(plan, a.kMin);
    return {
      method: METHOD,
      k_min: a.kMin,
      epsilon: a.epsilon,
      epsilon_split: { count: Object.fromEntries([split('cell', plan.shares.count)]), actual: sums, overtime: sums },
      weekly_hours_cap: a.weeklyHoursCap,
      first_period: a.firstPeriod,
      grace_days: a.graceDays,
      timezone: this.config.timezone,
      who_counts: WHO_COUNTS,
      noise:
        'discrete Laplace, exact integer sampler with cryptographic randomness, drawn once per month for every cell ' +
        'of the domain (state × department group × profession), empty ones included: a noisy count per cell and noisy ' +
        'clipped sums of actual hours and of overtime at the levels in epsilon_split, combined by least squares so that ' +
        'every level is the sum of its cells; planned hours are actual − overtime',
      noise_grid_hours: 1 / GRID_PER_HOUR,
      display_rule:
        'a figure is displayed when its noisy count (n_users / n_display) is at least k_min and at least its level\'s ' +
        `display threshold (a group of fewer than k_min / 2 people is then shown with probability under 1%), and each of ` +
        `its 90% intervals is at most ±${a.maxHalfWidthHours} h`,
      display_thresholds: thresholds,
      max_half_width_hours: a.maxHalfWidthHours,
      small_cell_display_probability: displayProbability(Math.ceil(a.kMin / 2) - 1, thresholds.cell!, epsilonCount),
      confidence_interval:
        `each figure's *_ci_half is ${Z90} × the standard deviation of its noise: the published value lies within ` +
        '± this of the true mean of the people counted with at least 90% probability (verified by simulation)',
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
        profession: e.profession,
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
 * The public shape of a published row of either method. Overtime is stored as actual − planned on the
 * 1/100-hour grid, so planned_mean_hours + overtime_mean_hours = avg_weekly_hours to the cent, which the app
 * relies on (it shows actual = planned + overtime).
 */
export function publicRow(row: PublicRowData): PublicStatsRow {
  const { first, last } = monthRange(row.period);
  const number = (value: number | null) => (value === null ? null : Number(value));
  return {
    period: row.period,
    state_code: row.state_code,
    specialty: row.specialty,
    profession: row.profession,
    level: row.level,
    method: row.method,
    n_users: Number(row.n_users),
    avg_weekly_hours: Number(row.actual),
    avg_planned_weekly_hours: number(row.planned),
    avg_overtime_weekly_hours: number(row.overtime),
    ci90_half_width: number(row.actual_ci),
    epsilon: number(row.epsilon),
    k_min: number(row.k_min),
    created_at: row.created_at,
    stat_id: row.id,
    country_code: COUNTRY_CODE,
    period_start: first,
    period_end: last,
    planned_mean_hours: number(row.planned),
    overtime_mean_hours: number(row.overtime),
    actual_ci_half: number(row.actual_ci),
    planned_ci_half: number(row.planned_ci),
    overtime_ci_half: number(row.overtime_ci),
    n_display: Number(row.n_users),
    status: 'published',
    computed_at: row.created_at,
  };
}

export function marginalRow(row: ReleaseRow): MarginalRow {
  return {
    period: row.period,
    level: row.level,
    method: row.method,
    state_code: row.state_code,
    department_group: row.department_group,
    profession: row.profession,
    n_display: row.n_display,
    actual_mean_hours: row.actual_mean,
    planned_mean_hours: row.planned_mean,
    overtime_mean_hours: row.overtime_mean,
    actual_ci_half: row.actual_ci_half,
    planned_ci_half: row.planned_ci_half,
    overtime_ci_half: row.overtime_ci_half,
    epsilon: row.epsilon,
    k_min: row.k_min,
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
