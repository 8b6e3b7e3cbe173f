/** Read-only figures for the admin dashboard. Each query is bounded by an index or a small table. */
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';

export interface RecentSubmission {
  user_id: string;
  date: string;
  planned_minutes: number;
  actual_minutes: number;
  created_at: string;
}

export interface ActivityWindow {
  events: number;
  activeUsers: number;
}

export class AdminStatsRepository {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<DB>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** Registered means registration (profile and consent) was completed; pending users only verified. */
  async userCounts(): Promise<{ total: number; registered: number }> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.count<number>('consent_accepted_at').as('registered')])
      .executeTakeFirstOrThrow();
    return { total: Number(row.total), registered: Number(row.registered) };
  }

  async workEventCount(): Promise<number> {
    const row = await this.db
      .selectFrom('work_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Events submitted and distinct users submitting since each instant; `recent` must be after `since`. */
  async activity(since: string, recent: string): Promise<{ since: ActivityWindow; recent: ActivityWindow }> {
    const row = await this.db
      .selectFrom('work_events')
      .select((eb) => {
        const isRecent = eb('created_at', '>=', recent);
        return [
          eb.fn.countAll<number>().as('events'),
          eb.fn.count<number>('user_id').distinct().as('users'),
          eb.fn.count<number>(eb.case().when(isRecent).then(eb.lit(1)).end()).as('recent_events'),
          eb.fn.count<number>(eb.case().when(isRecent).then(eb.ref('user_id')).end()).distinct().as('recent_users'),
        ];
      })
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return {
      since: { events: Number(row.events), activeUsers: Number(row.users) },
      recent: { events: Number(row.recent_events), activeUsers: Number(row.recent_users) },
    };
  }

  /** Published cells of both methods: the first method's rows and the current method's cells (state × department group × profession). */
  async publishedCellCount(): Promise<number> {
    const legacy = await this.db
      .selectFrom('stats_by_state_specialty')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    const current = await this.db
      .selectFrom('stats_releases')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('level', '=', 'cell')
      .executeTakeFirstOrThrow();
    return Number(legacy.count) + Number(current.count);
  }

  async recentSubmissions(limit: number): Promise<RecentSubmission[]> {
    return this.db
      .selectFrom('work_events')
      .select(['user_id', 'date', 'planned_minutes', 'actual_minutes', 'created_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Submissions per UTC hour (`YYYY-MM-DDTHH`) since an instant. Hours rather than days so that the caller
   * can assign them to calendar days in the service's time zone, which SQLite knows nothing about.
   */
  async submissionsPerHour(since: string): Promise<{ hour: string; count: number }[]> {
    const hour = this.postgres
      ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24')`
      : sql<string>`substr(created_at, 1, 13)`;
    const rows = await this.db
      .selectFrom('work_events')
      .select((eb) => [hour.as('hour'), eb.fn.countAll<number>().as('count')])
      .where('created_at', '>=', since)
      .groupBy(hour)
      .execute();
    return rows.map((row) => ({ hour: row.hour, count: Number(row.count) }));
  }
}
