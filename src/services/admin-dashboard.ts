/**
 * The figures of the admin dashboard (`GET /admin/data`): how many people use the service, how much they
 * submit, and whether publishing works. Users appear only as short pseudonyms.
 */
import type { AdminStatsRepository } from '../db/repositories/admin-stats.js';
import { dateInZone, type Clock } from './clock.js';
import type { Pseudonymizer } from './pseudonym.js';
import { DAYS, HOURS } from './rate-limiter.js';
import type { AggregationReport, AggregationService } from './aggregation.js';

export const RECENT_SUBMISSIONS = 10;
export const CHART_DAYS = 30;
/** Aggregation runs listed on the dashboard, newest first. */
export const RECENT_AGGREGATION_RUNS = 10;

/** The record of aggregation runs, as the dashboard reads it. */
export type AggregationRuns = Pick<AggregationService, 'lastRun' | 'lastPublishingRun' | 'recentRuns'>;

export interface AdminData {
  generated_at: string;
  timezone: string;
  users: { total: number; registered: number; pending: number };
  work_events: { total: number; last_24h: number; last_7d: number };
  active_users: { last_24h: number; last_7d: number };
  published_cells: number;
  recent_submissions: {
    date: string;
    planned_minutes: number;
    actual_minutes: number;
    submitted_at: string;
    user: string;
  }[];
  /** Oldest first, one entry per calendar day in the service's time zone, today last. */
  submissions_per_day: { date: string; count: number }[];
  last_aggregation: AggregationReport | null;
  /**
   * The last run that published a month. The daily job runs every day but publishes once a month, so the
   * last run is usually a "nothing to do"; this one says when the published figures last changed.
   */
  last_publication: AggregationReport | null;
  /** The latest runs, newest first, each with its message. */
  recent_aggregations: AggregationReport[];
}

export class AdminDashboard {
  constructor(
    private readonly repository: AdminStatsRepository,
    private readonly clock: Clock,
    private readonly pseudonym: Pseudonymizer,
    private readonly timezone: string,
    private readonly aggregationRuns: AggregationRuns,
  ) {}

  async data(): Promise<AdminData> {
    const now = this.clock.now();
    const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const [users, totalEvents, activity, publishedCells, recent, perHour, lastAggregation, lastPublication, recentAggregations] = await Promise.all([
      this.repository.userCounts(),
      this.repository.workEventCount(),
      this.repository.activity(ago(7 * DAYS), ago(24 * HOURS)),
      this.repository.publishedCellCount(),
      this.repository.recentSubmissions(RECENT_SUBMISSIONS),
      // One day more than charted: the first local day may begin up to 14 hours before its UTC date.
      this.repository.submissionsPerHour(ago((CHART_DAYS + 1) * DAYS)),
      this.aggregationRuns.lastRun(),
      this.aggregationRuns.lastPublishingRun(),
      this.aggregationRuns.recentRuns(RECENT_AGGREGATION_RUNS),
    ]);
    return {
      generated_at: now.toISOString(),
      timezone: this.timezone,
      users: { total: users.total, registered: users.registered, pending: users.total - users.registered },
      work_events: { total: totalEvents, last_24h: activity.recent.events, last_7d: activity.since.events },
      active_users: { last_24h: activity.recent.activeUsers, last_7d: activity.since.activeUsers },
      published_cells: publishedCells,
      recent_submissions: recent.map((row) => ({
        date: row.date,
        planned_minutes: row.planned_minutes,
        actual_minutes: row.actual_minutes,
        submitted_at: row.created_at,
        user: this.pseudonym(row.user_id),
      })),
      submissions_per_day: this.perDay(now, perHour),
      last_aggregation: lastAggregation,
      last_publication: lastPublication,
      recent_aggregations: recentAggregations,
    };
  }

  /**
   * Assigns UTC hours to local calendar days. Exact for every zone with whole-hour offsets (all of Germany's
   * history since 1893); a half-hour zone would shift at most 30 minutes of submissions across midnight.
   */
  private perDay(now: Date, perHour: { hour: string; count: number }[]): { date: string; count: number }[] {
    const today = dateInZone(now, this.timezone);
    const days = new Map<string, number>();
    for (let back = CHART_DAYS - 1; back >= 0; back--) days.set(shiftDate(today, -back), 0);
    for (const { hour, count } of perHour) {
      const date = dateInZone(new Date(`${hour}:00:00Z`), this.timezone);
      const sum = days.get(date);
      if (sum !== undefined) days.set(date, sum + count);
    }
    return [...days].map(([date, count]) => ({ date, count }));
  }
}

/** `YYYY-MM-DD` plus or minus whole days, on the calendar (no time zone involved). */
function shiftDate(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}
