/**
 * The public side of the statistics: published cells, the summary with its methodology, and a person's own
 * privacy ledger. Everything here reads published rows only, never work events or users.
 */
import type { Config } from '../config.js';
import type { PrivacyLedgerRepository } from '../db/repositories/privacy-ledger.js';
import type { StatisticsRepository, StatsFilter, StatsRow } from '../db/repositories/statistics.js';
import { GRID_PER_HOUR, N_USERS_ROUNDING } from './aggregation.js';
import type { Clock } from './clock.js';
import { ResponseCache } from './response-cache.js';

/** How long another process may serve its cached copy after a publication (and the public max-age). */
export const STATS_CACHE_TTL_SECONDS = 60;

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
] as const;

export type PublicStatsRow = Pick<StatsRow, (typeof PUBLIC_COLUMNS)[number]>;

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
  specialties: string[];
  methodology: Methodology;
}

export interface PrivacyLedgerView {
  releases: { period: string; state_code: string; specialty: string; epsilon: number; published_at: string }[];
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

  async cells(filter: StatsFilter, limit: number, offset: number): Promise<{ rows: PublicStatsRow[]; total: number }> {
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
        'ci90_half_width = weekly_hours_cap * ln(10) / (epsilon_actual * n_users): the noise on the average ' +
        'actual hours stays within ± this with at least 90% probability',
      documentation: 'docs/privacy.md',
    };
  }

  /** A person's releases and the privacy budget they spent per calendar year (for GET /auth/me/privacy). */
  async privacyLedger(userId: string): Promise<PrivacyLedgerView> {
    const entries = await this.ledger.forUser(userId);
    const years = new Map<string, { releases: number; epsilon: number }>();
    for (const entry of entries) {
      const year = years.get(entry.period.slice(0, 4)) ?? { releases: 0, epsilon: 0 };
      year.releases += 1;
      year.epsilon += Number(entry.epsilon);
      years.set(entry.period.slice(0, 4), year);
    }
    return {
      releases: entries.map((e) => ({
        period: e.period,
        state_code: e.state_code,
        specialty: e.specialty,
        epsilon: Number(e.epsilon),
        published_at: e.created_at,
      })),
      epsilon_by_year: [...years].map(([year, y]) => ({ year, releases: y.releases, epsilon: roundEpsilon(y.epsilon) })),
    };
  }

  invalidate(): void {
    this.cache.invalidate();
  }
}

function publicRow(row: StatsRow): PublicStatsRow {
  return Object.fromEntries(PUBLIC_COLUMNS.map((column) => [column, row[column]])) as PublicStatsRow;
}

/** Sums of decimal ε values without binary-fraction residue (0.1 + 0.2 shows as 0.3). */
function roundEpsilon(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
