/**
 * The monthly statistics release: k-anonymous cells with discrete Laplace noise, published once per closed
 * month and then frozen. The method and its guarantees are explained in docs/privacy.md; keep them in step.
 *
 * Concurrency: a PostgreSQL advisory lock lets one process aggregate at a time (others report "skipped"),
 * each month is published in one snapshot transaction that commits everything or nothing, and the month's
 * row in `stats_periods` (a primary key) is checked inside that transaction, so a month can never be
 * published twice, on either database.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { AggregationRunRepository, type AggregationRunRow } from '../db/repositories/aggregation-runs.js';
import { MonthlyAggregationRepository, type AggregationWindow, type CellTotals } from '../db/repositories/monthly-aggregation.js';
import { StatisticsRepository, type StatsRow } from '../db/repositories/statistics.js';
import { snapshotTransaction, withAdvisoryLock } from '../db/transactions.js';
import type { DB } from '../db/schema.js';
import { unprocessable } from '../errors.js';
import { dateInZone, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import {
  firstPublicationDate,
  isClosed,
  isPeriod,
  latestClosedPeriod,
  monthRange,
  periodOf,
  periodsBetween,
} from './periods.js';
import { CryptoRandom, divide, multiply, rational, rationalFromNumber, sampleDiscreteLaplace, subtract, toNumber, type Rational } from './privacy.js';

/** Published hours are on a grid of 1/100 hour; the noise is drawn on the same grid. */
export const GRID_PER_HOUR = 100;
/** Published group sizes are rounded down to a multiple of this. */
export const N_USERS_ROUNDING = 5;
/** ("owh_aggr" in ASCII) The PostgreSQL advisory lock key held while aggregating. */
export const AGGREGATION_LOCK_KEY = 0x6f77685f61676772n;

export type AggregationTrigger = 'schedule' | 'cli' | 'admin';
export type AggregationStatus = 'success' | 'failed' | 'skipped';

/** What a run did, for the CLI, the admin dashboard and the log. Never per-cell details. */
export interface AggregationReport {
  run_id: string;
  status: AggregationStatus;
  trigger: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  /** Months processed (and so frozen) by this run, oldest first; a month may have no cell large enough. */
  periods: string[];
  cells_published: number;
  cells_suppressed: number;
  users_counted: number;
  message: string;
  error: string | null;
}

interface MonthOutcome {
  period: string;
  cells_published: number;
  cells_suppressed: number;
  users_counted: number;
}

export interface AggregationDeps {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  /** Called after a run published something (e.g. to drop cached public responses). */
  onPublished?: () => void;
}

export class AggregationService {
  readonly #random = new CryptoRandom();
  readonly #runs: AggregationRunRepository;
  /** Noise scales in grid units, as exact rationals: cap × 100 / ε_part. */
  readonly #scaleActual: Rational;
  readonly #scalePlanned: Rational;
  readonly #epsilonActual: number;
  readonly #epsilonPlanned: number;
  /** WEEKLY_HOURS_CAP in grid units, rounded down so that one person never moves a sum by more. */
  readonly #capGrid: number;

  constructor(private readonly deps: AggregationDeps) {
    const parameters = noiseParameters(deps.config.aggregation);
    this.#scaleActual = parameters.scaleActual;
    this.#scalePlanned = parameters.scalePlanned;
    this.#epsilonActual = toNumber(parameters.epsilonActual);
    this.#epsilonPlanned = toNumber(parameters.epsilonPlanned);
    this.#capGrid = parameters.capGrid;
    this.#runs = new AggregationRunRepository(deps.database.db);
  }

  /**
   * Publishes every closed month not yet published, or only `period`. Rejects (422) a malformed or not yet
   * closed `period`; every other outcome, failures included, is recorded and returned as a report.
   */
  async run(options: { period?: string; trigger: AggregationTrigger }): Promise<AggregationReport> {
    const { config, database, clock, logger } = this.deps;
    if (options.period !== undefined) this.assertPublishable(options.period);
    const started = clock.now();
    const startedMs = performance.now();
    const months: MonthOutcome[] = [];
    let status: AggregationStatus = 'success';
    let error: string | null = null;
    let alreadyPublished = false;
    let neverPublished = false;
    try {
      const outcome = await withAdvisoryLock(database, AGGREGATION_LOCK_KEY, async (db) => {
        const periods = await this.pendingPeriods(db, options.period);
        alreadyPublished = options.period !== undefined && periods.length === 0;
        // "Every closed month is already published" would be wrong on a database that never published one.
        if (options.period === undefined && periods.length === 0) {
          neverPublished = (await new StatisticsRepository(db).processedPeriods()).size === 0;
        }
        for (const period of periods) {
          const month = await snapshotTransaction(db, database.dialect, (trx) => this.publishMonth(trx, period));
          if (month) months.push(month);
        }
      });
      if (!outcome.acquired) status = 'skipped';
    } catch (caught) {
      status = 'failed';
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const elapsedMs = Math.round(performance.now() - startedMs);
    const finished = new Date(started.getTime() + elapsedMs);
    const report: AggregationReport = {
      run_id: randomUUID(),
      status,
      trigger: options.trigger,
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      duration_ms: elapsedMs,
      periods: months.map((m) => m.period),
      cells_published: sum(months, 'cells_published'),
      cells_suppressed: sum(months, 'cells_suppressed'),
      users_counted: sum(months, 'users_counted'),
      message: '',
      error,
    };
    report.message = describe(report, options.period, alreadyPublished, neverPublished ? config.aggregation.graceDays : null);
    if (report.periods.length > 0) this.deps.onPublished?.();

    const fields = { ...report, timezone: config.timezone };
    if (status === 'failed') logger.error(fields, 'aggregation failed');
    else logger.info(fields, `aggregation ${status}`);
    try {
      await this.#runs.insert(toRow(report));
    } catch (caught) {
      logger.error({ run_id: report.run_id, err: caught }, 'could not record the aggregation run');
    }
    return report;
  }

  async lastRun(): Promise<AggregationReport | null> {
    const row = await this.#runs.last();
    return row ? fromRow(row) : null;
  }

  /** The most recent run that published at least one month, or null when nothing was ever published. */
  async lastPublishingRun(): Promise<AggregationReport | null> {
    const row = await this.#runs.lastPublishing();
    return row ? fromRow(row) : null;
  }

  async recentRuns(limit = 20): Promise<AggregationReport[]> {
    return (await this.#runs.recent(limit)).map(fromRow);
  }

  /** Runs recorded by every process, per outcome, with the time the latest finished. */
  async runSummary(): Promise<{ status: string; runs: number; last_finished_at: string | null }[]> {
    return this.#runs.summaryByStatus();
  }

  private today(): string {
    return dateInZone(this.deps.clock.now(), this.deps.config.timezone);
  }

  private assertPublishable(period: string): void {
    if (!isPeriod(period)) throw unprocessable(`period must be a month written as YYYY-MM, got '${period}'`);
    const { graceDays } = this.deps.config.aggregation;
    if (!isClosed(period, this.today(), graceDays)) {
      throw unprocessable(
        `${period} is not closed yet: it can be published from ${firstPublicationDate(period, graceDays)} (${this.deps.config.timezone})`,
      );
    }
  }

  /** Closed months from the first month with any work event up to now, minus those already processed. */
  private async pendingPeriods(db: Kysely<DB>, only: string | undefined): Promise<string[]> {
    const processed = await new StatisticsRepository(db).processedPeriods();
    if (only !== undefined) return processed.has(only) ? [] : [only];
    const earliest = await new MonthlyAggregationRepository(db).earliestEventDate();
    if (earliest === null) return [];
    const latest = latestClosedPeriod(this.today(), this.deps.config.aggregation.graceDays);
    return periodsBetween(periodOf(earliest), latest).filter((p) => !processed.has(p));
  }

  /** Publishes one month inside a snapshot transaction; null when another process already did. */
  private async publishMonth(trx: Kysely<DB>, period: string): Promise<MonthOutcome | null> {
    const { kMin, minDaysPerUser, epsilon } = this.deps.config.aggregation;
    const statistics = new StatisticsRepository(trx);
    if (await statistics.isProcessed(period)) return null;

    const window: AggregationWindow = {
      ...monthRange(period),
      minDays: minDaysPerUser,
      capGrid: this.#capGrid,
      consent: { terms: this.deps.config.currentTermsVersion, privacy: this.deps.config.currentPrivacyVersion },
    };
    const now = this.deps.clock.now().toISOString();
    const month = new MonthlyAggregationRepository(trx);
    await month.stagePeople(window);
    const cells = await month.cellTotals();
    const released = cells.filter((cell) => cell.n_users >= kMin);
    await statistics.insertCells(released.map((cell) => this.release(cell, period, now)));
    const counted = await month.recordLedger(period, kMin, epsilon, now);
    await month.dropStage();
    const expected = released.reduce((total, cell) => total + cell.n_users, 0);
    if (counted !== expected) {
      // Both come from the same staged rows; if they ever disagree, publishing nothing is the safe outcome.
      throw new Error(`privacy ledger for ${period} has ${counted} entries but the published cells count ${expected} people`);
    }
    const outcome = {
      period,
      cells_published: released.length,
      cells_suppressed: cells.length - released.length,
      users_counted: counted,
    };
    await statistics.markProcessed({ ...outcome, published_at: now });
    return outcome;
  }

  /** The published row of a cell that passed the k threshold: noisy averages, rounded n, noise interval. */
  private release(cell: CellTotals, period: string, now: string): StatsRow {
    const { weeklyHoursCap, epsilon, kMin } = this.deps.config.aggregation;
    const noisyAverage = (sumGrid: number, scale: Rational) => {
      const noisy = sumGrid + Number(sampleDiscreteLaplace(scale, this.#random));
      return Math.min(Math.max(Math.round(noisy / cell.n_users), 0), this.#capGrid);
    };
    const actual = noisyAverage(cell.actual_sum, this.#scaleActual);
    const planned = noisyAverage(cell.planned_sum, this.#scalePlanned);
    const nPublished = Math.floor(cell.n_users / N_USERS_ROUNDING) * N_USERS_ROUNDING;
    return {
      id: randomUUID(),
      period,
      state_code: cell.state_code,
      specialty: cell.specialty,
      n_users: nPublished,
      avg_weekly_hours: actual / GRID_PER_HOUR,
      avg_planned_weekly_hours: planned / GRID_PER_HOUR,
      // From the two grid values, so that planned + overtime = actual to the cent (the app shows it so).
      avg_overtime_weekly_hours: (actual - planned) / GRID_PER_HOUR,
      ci90_half_width: ci90HalfWidth(weeklyHoursCap, this.#epsilonActual, nPublished),
      planned_ci90_half_width: ci90HalfWidth(weeklyHoursCap, this.#epsilonPlanned, nPublished),
      overtime_ci90_half_width: overtimeCi90HalfWidth(weeklyHoursCap, this.#epsilonActual, this.#epsilonPlanned, nPublished),
      epsilon,
      k_min: kMin,
      created_at: now,
    };
  }
}

/**
 * The noise parameters, exactly, from the configured decimals. One person moves a cell's sum of clipped
 * weekly hours by at most the cap (in grid units, the sensitivity Δ); discrete Laplace noise of scale
 * Δ / ε_part then gives ε_part-differential privacy for that sum, and ε_actual + ε_planned = ε per cell.
 */
export function noiseParameters(settings: Pick<Config['aggregation'], 'epsilon' | 'epsilonActualShare' | 'weeklyHoursCap'>) {
  const total = rationalFromNumber(settings.epsilon);
  const share = rationalFromNumber(settings.epsilonActualShare);
  const epsilonActual = multiply(total, share);
  const epsilonPlanned = multiply(total, subtract(rational(1n), share));
  const sensitivity = multiply(rationalFromNumber(settings.weeklyHoursCap), rational(BigInt(GRID_PER_HOUR)));
  return {
    epsilonActual,
    epsilonPlanned,
    /** The cap in grid units, rounded down, so that clipping keeps every person within the sensitivity. */
    capGrid: Number(sensitivity.num / sensitivity.den),
    scaleActual: divide(sensitivity, epsilonActual),
    scalePlanned: divide(sensitivity, epsilonPlanned),
  };
}

/**
 * Half-width of the 90% interval of the noise on a published average, from published numbers only: Laplace
 * noise of scale b = cap / ε_part on the sum exceeds b·ln(10) with probability 10% (the discrete version
 * slightly less), divided by the published n (≤ the true n, so the interval errs wide). Rounded up to the
 * 1/100-hour grid. Serves actual hours (ε_actual) and planned hours (ε_planned).
 */
export function ci90HalfWidth(weeklyHoursCap: number, epsilonPart: number, nPublished: number): number {
  return toGridCeiling(noiseBound(weeklyHoursCap, epsilonPart, nPublished, 0.1));
}

/**
 * Half-width of a 90% interval for overtime (actual − planned), whose noise is the difference of the two
 * independent noises: each stays within its 95% bound with probability 95%, so their difference stays
 * within the sum of the bounds with probability at least 90% (union bound; it errs wide).
 */
export function overtimeCi90HalfWidth(weeklyHoursCap: number, epsilonActual: number, epsilonPlanned: number, nPublished: number): number {
  return toGridCeiling(
    noiseBound(weeklyHoursCap, epsilonActual, nPublished, 0.05) + noiseBound(weeklyHoursCap, epsilonPlanned, nPublished, 0.05),
  );
}

/** The bound that Laplace noise of scale cap / ε on a sum of n people exceeds, per person, with probability `tail`. */
function noiseBound(weeklyHoursCap: number, epsilonPart: number, nPublished: number, tail: number): number {
  return (weeklyHoursCap * Math.log(1 / tail)) / (epsilonPart * nPublished);
}

const toGridCeiling = (hours: number) => Math.ceil(hours * GRID_PER_HOUR - 1e-9) / GRID_PER_HOUR;

function sum(months: MonthOutcome[], key: Exclude<keyof MonthOutcome, 'period'>): number {
  return months.reduce((total, month) => total + month[key], 0);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `graceDaysIfNeverPublished`: set when nothing was due and nothing was ever published. */
function describe(
  report: AggregationReport,
  requested: string | undefined,
  alreadyPublished: boolean,
  graceDaysIfNeverPublished: number | null,
): string {
  const months =
    report.periods.length <= 3
      ? report.periods.join(', ')
      : `${report.periods.length} months, ${report.periods[0]} to ${report.periods.at(-1)}`;
  const published =
    report.periods.length > 0
      ? `published ${months}: ${plural(report.cells_published, 'cell')}, ` +
        `${report.cells_suppressed} suppressed (fewer than k people), ${plural(report.users_counted, 'person', 'people')} counted`
      : null;
  switch (report.status) {
    case 'skipped':
      return 'Skipped: another aggregation run holds the lock; it publishes whatever is due.';
    case 'failed':
      return `Failed: ${report.error ?? 'unknown error'}${published ? ` (before failing it ${published})` : ''}`;
    case 'success':
      if (published) return `Success: ${published}.`;
      if (alreadyPublished) return `Nothing to do: ${requested} is already published, and published months never change.`;
      if (graceDaysIfNeverPublished !== null) {
        return `Nothing to publish yet: no month with recorded working time has closed (a month is published ${plural(graceDaysIfNeverPublished, 'day')} after it ends).`;
      }
      return 'Nothing to do: every closed month is already published.';
  }
}

function toRow(report: AggregationReport): AggregationRunRow {
  return {
    id: report.run_id,
    started_at: report.started_at,
    finished_at: report.finished_at,
    status: report.status,
    trigger: report.trigger,
    periods: JSON.stringify(report.periods),
    cells_published: report.cells_published,
    cells_suppressed: report.cells_suppressed,
    users_counted: report.users_counted,
    message: report.message,
    error: report.error,
  };
}

function fromRow(row: AggregationRunRow): AggregationReport {
  return {
    run_id: row.id,
    status: row.status,
    trigger: row.trigger,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: Date.parse(row.finished_at) - Date.parse(row.started_at),
    periods: JSON.parse(row.periods) as string[],
    cells_published: row.cells_published,
    cells_suppressed: row.cells_suppressed,
    users_counted: row.users_counted,
    message: row.message,
    error: row.error,
  };
}
