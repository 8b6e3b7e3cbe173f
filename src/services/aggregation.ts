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
import { MonthlyAggregationRepository, type AggregationWindow } from '../db/repositories/monthly-aggregation.js';
import { StatisticsRepository, type ReleaseRow } from '../db/repositories/statistics.js';
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
import { CryptoRandom } from './privacy.js';
import { DOMAIN, figures, measure, METHOD, noisePlan, overtimeBound, type Figure, type NoisePlan } from './statistics-method.js';
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
  /** Months published (and so frozen) by this run, oldest first; a month may have no cell large enough. */
  periods: string[];
  /** Cells (state × department group × profession) displayed and not displayed, over the whole domain. */
  cells_published: number;
  cells_suppressed: number;
  /** People counted; each spent the month's ε (EPSILON), displayed or not. */
  users_counted: number;
  message: string;
  error: string | null;
}

interface MonthOutcome {
  period: string;
  cells_published: number;
  cells_suppressed: number;
  /** Displayed figures at every level, cells included. */
  figures_published: number;
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
  /** The exact ε and noise scale of every measurement (src/services/statistics-method.ts). */
  readonly #plan: NoisePlan;

  constructor(private readonly deps: AggregationDeps) {
    this.#plan = noisePlan(deps.config.aggregation.epsilon, deps.config.aggregation.weeklyHoursCap);
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
    const empty: string[] = [];
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
          if (month === 'empty') empty.push(period);
          else if (month) months.push(month);
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
    report.message = describe(report, {
      requested: options.period,
      alreadyPublished,
      empty,
      figures: sum(months, 'figures_published'),
      epsilon: config.aggregation.epsilon,
      maxHalfWidthHours: config.aggregation.maxHalfWidthHours,
      graceDaysIfNeverPublished: neverPublished ? config.aggregation.graceDays : null,
    });
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
    const { graceDays, firstPeriod } = this.deps.config.aggregation;
    if (period < firstPeriod) throw unprocessable(`${period} is before the first published month, ${firstPeriod} (STATS_FIRST_PERIOD)`);
    if (!isClosed(period, this.today(), graceDays)) {
      throw unprocessable(
        `${period} is not closed yet: it can be published from ${firstPublicationDate(period, graceDays)} (${this.deps.config.timezone})`,
      );
    }
  }

  /**
   * Closed months from the first month with any data (but not before STATS_FIRST_PERIOD) up to now, minus
   * those already published. Months where nobody counted were never frozen, so they come up again.
   */
  private async pendingPeriods(db: Kysely<DB>, only: string | undefined): Promise<string[]> {
    const processed = await new StatisticsRepository(db).processedPeriods();
    if (only !== undefined) return processed.has(only) ? [] : [only];
    const earliest = await new MonthlyAggregationRepository(db).earliestEventDate();
    if (earliest === null) return [];
    const { firstPeriod, graceDays } = this.deps.config.aggregation;
    const from = periodOf(earliest) > firstPeriod ? periodOf(earliest) : firstPeriod;
    const latest = latestClosedPeriod(this.today(), graceDays);
    return periodsBetween(from, latest).filter((p) => !processed.has(p));
  }

  /**
   * Publishes one month inside a snapshot transaction; null when another process already did, or when nobody
   * counts in it (then nothing is published and the month is not frozen, so a later backfill still publishes it).
   */
  private async publishMonth(trx: Kysely<DB>, period: string): Promise<MonthOutcome | 'empty' | null> {
    const { config } = this.deps;
    const { kMin, epsilon } = config.aggregation;
    const statistics = new StatisticsRepository(trx);
    if (await statistics.isProcessed(period)) return null;

    const window: AggregationWindow = {
      ...monthRange(period),
      capGrid: this.#plan.capGrid,
      consent: { terms: config.currentTermsVersion, privacy: config.currentPrivacyVersion },
    };
    const now = this.deps.clock.now().toISOString();
    const month = new MonthlyAggregationRepository(trx);
    await month.stagePeople(window);
    const cells = await month.cellTotals(overtimeBound(this.#plan.capGrid));
    const people = cells.reduce((total, cell) => total + cell.n_users, 0);
    if (people === 0) {
      await month.dropStage();
      return 'empty';
    }
    // Noise for every cell and unit of the public domain, empty ones included, drawn once.
    const all = figures(measure(cells, this.#plan, this.#random), this.#plan, { kMin, maxHalfWidthHours: config.aggregation.maxHalfWidthHours });
    const shown = all.filter((figure) => figure.displayed);
    await statistics.insertReleases(shown.map((figure) => toReleaseRow(figure, period, epsilon, kMin, now)));
    const counted = await month.recordLedger(period, epsilon, now);
    await month.dropStage();
    if (counted !== people) {
      // Both come from the same staged rows; if they ever disagree, publishing nothing is the safe outcome.
      throw new Error(`privacy ledger for ${period} has ${counted} entries but the cells count ${people} people`);
    }
    const cellsShown = shown.filter((figure) => figure.level === 'cell').length;
    const outcome = {
      period,
      cells_published: cellsShown,
      cells_suppressed: DOMAIN.length - cellsShown,
      figures_published: shown.length,
      users_counted: counted,
    };
    await statistics.markProcessed({
      period,
      published_at: now,
      cells_published: outcome.cells_published,
      cells_suppressed: outcome.cells_suppressed,
      users_counted: outcome.users_counted,
    });
    return outcome;
  }
}

function toReleaseRow(figure: Figure, period: string, epsilon: number, kMin: number, now: string): ReleaseRow {
  return {
    id: randomUUID(),
    period,
    method: METHOD,
    level: figure.level,
    state_code: figure.unit.state_code,
    department_group: figure.unit.department_group,
    profession: figure.unit.profession,
    n_display: figure.n_noisy,
    actual_mean: figure.actual_mean,
    planned_mean: figure.planned_mean,
    overtime_mean: figure.overtime_mean,
    actual_ci_half: figure.actual_ci_half,
    planned_ci_half: figure.planned_ci_half,
    overtime_ci_half: figure.overtime_ci_half,
    epsilon,
    k_min: kMin,
    created_at: now,
  };
}

function sum(months: MonthOutcome[], key: Exclude<keyof MonthOutcome, 'period'>): number {
  return months.reduce((total, month) => total + month[key], 0);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface Context {
  requested: string | undefined;
  alreadyPublished: boolean;
  /** Months where nobody counted: nothing published, not frozen. */
  empty: string[];
  figures: number;
  epsilon: number;
  maxHalfWidthHours: number;
  /** Set when nothing was due and nothing was ever published. */
  graceDaysIfNeverPublished: number | null;
}

const listOf = (periods: string[]) =>
  periods.length <= 3 ? periods.join(', ') : `${periods.length} months, ${periods[0]} to ${periods.at(-1)}`;

function describe(report: AggregationReport, context: Context): string {
  const { requested, alreadyPublished, empty } = context;
  const published =
    report.periods.length > 0
      ? `published ${listOf(report.periods)}: ${plural(report.cells_published, 'cell')} displayed, ` +
        `${report.cells_suppressed} suppressed (too few people, or an interval wider than ±${context.maxHalfWidthHours} h), ` +
        `${plural(context.figures, 'figure')} at all levels; ` +
        `${plural(report.users_counted, 'person', 'people')} counted, each spending ε = ${context.epsilon}` +
        ` (${Math.round(report.users_counted * context.epsilon * 1e6) / 1e6} in all)`
      : null;
  const open = empty.length > 0 ? ` Nobody counted in ${listOf(empty)}: not published, it stays open for later data.` : '';
  switch (report.status) {
    case 'skipped':
      return 'Skipped: another aggregation run holds the lock; it publishes whatever is due.';
    case 'failed':
      return `Failed: ${report.error ?? 'unknown error'}${published ? ` (before failing it ${published})` : ''}`;
    case 'success':
      if (published) return `Success: ${published}.${open}`;
      if (alreadyPublished) return `Nothing to do: ${requested} is already published, and published months never change.`;
      if (open) return `Nothing published.${open}`;
      if (context.graceDaysIfNeverPublished !== null) {
        return `Nothing to publish yet: no month with recorded working time has closed (a month is published ${plural(context.graceDaysIfNeverPublished, 'day')} after it ends).`;
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
