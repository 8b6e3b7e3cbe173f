/** The published statistics: cells and processed (frozen) months. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, StatsByStateSpecialtyTable, StatsPeriodsTable, StatsReleasesTable } from '../schema.js';

export type StatsRow = Selectable<StatsByStateSpecialtyTable>;
export type ReleaseRow = StatsReleasesTable;

export interface StatsFilter {
  period?: string;
  state_code?: string;
  specialty?: string;
  /** Cells of one profession; without it, the state × department-group rows (all professions together). */
  profession?: string;
}

/** A published row of either method, in one shape (see `publicRows`). */
export interface PublicRowData {
  id: string;
  period: string;
  method: string;
  level: string;
  state_code: string;
  specialty: string;
  profession: string | null;
  n_users: number;
  actual: number;
  planned: number | null;
  overtime: number | null;
  actual_ci: number | null;
  planned_ci: number | null;
  overtime_ci: number | null;
  epsilon: number | null;
  k_min: number | null;
  created_at: string;
}

export interface MarginalFilter {
  period?: string;
  level?: string;
}

export class StatisticsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Months that must never be published again: those with a `stats_periods` entry, and any month with rows
   * of the first method (rows published before migration 0005 had no entry; 0008 adds it, and this keeps a
   * restored old backup safe too).
   */
  async processedPeriods(): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('stats_periods')
      .select('period')
      .union(this.db.selectFrom('stats_by_state_specialty').select('period'))
      .execute();
    return new Set(rows.map((r) => r.period));
  }

  async isProcessed(period: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('stats_periods')
      .select('period')
      .where('period', '=', period)
      .union(this.db.selectFrom('stats_by_state_specialty').select('period').where('period', '=', period))
      .executeTakeFirst();
    return row !== undefined;
  }

  async insertReleases(rows: ReleaseRow[]): Promise<void> {
    // Stay below SQLite's limit on bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) await this.db.insertInto('stats_releases').values(rows.slice(i, i + 500)).execute();
  }

  async markProcessed(row: StatsPeriodsTable): Promise<void> {
    await this.db.insertInto('stats_periods').values(row).execute();
  }

  /**
   * Rows by state and department group, newest period first: the first method's cells and the current
   * method's state × department-group figures (or, with `profession`, its cells of that profession).
   */
  async listByStateSpecialty(filter: StatsFilter, limit: number, offset: number): Promise<PublicRowData[]> {
    const rows = await this.db
      .selectFrom(this.unionByStateSpecialty(filter).as('u'))
      .selectAll()
      .orderBy('period', 'desc')
      .orderBy('state_code')
      .orderBy('specialty')
      .orderBy('profession')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows as PublicRowData[];
  }

  async countByStateSpecialty(filter: StatsFilter): Promise<number> {
    const row = await this.db
      .selectFrom(this.unionByStateSpecialty(filter).as('u'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Figures of the levels Germany, state, department group and profession. */
  async listMarginals(filter: MarginalFilter): Promise<ReleaseRow[]> {
    let query = this.db
      .selectFrom('stats_releases')
      .selectAll()
      .where('level', 'in', ['germany', 'state', 'department_group', 'profession']);
    if (filter.period !== undefined) query = query.where('period', '=', filter.period);
    if (filter.level !== undefined) query = query.where('level', '=', filter.level);
    return query
      .orderBy('period', 'desc')
      .orderBy(sql`case level when 'germany' then 0 when 'state' then 1 when 'department_group' then 2 else 3 end`)
      .orderBy('state_code')
      .orderBy('department_group')
      .orderBy('profession')
      .execute();
  }

  private unionByStateSpecialty(filter: StatsFilter) {
    let releases = this.db
      .selectFrom('stats_releases')
      .select([
        'id',
        'period',
        'method',
        'level',
        sql<string>`state_code`.as('state_code'),
        sql<string>`department_group`.as('specialty'),
        'profession',
        'n_display as n_users',
        'actual_mean as actual',
        sql<number | null>`planned_mean`.as('planned'),
        sql<number | null>`overtime_mean`.as('overtime'),
        sql<number | null>`actual_ci_half`.as('actual_ci'),
        sql<number | null>`planned_ci_half`.as('planned_ci'),
        sql<number | null>`overtime_ci_half`.as('overtime_ci'),
        sql<number | null>`epsilon`.as('epsilon'),
        sql<number | null>`k_min`.as('k_min'),
        'created_at',
      ])
      .where('level', '=', filter.profession === undefined ? 'state_department_group' : 'cell');
    if (filter.profession !== undefined) releases = releases.where('profession', '=', filter.profession);
    if (filter.period !== undefined) releases = releases.where('period', '=', filter.period);
    if (filter.state_code !== undefined) releases = releases.where('state_code', '=', filter.state_code);
    if (filter.specialty !== undefined) releases = releases.where('department_group', '=', filter.specialty);
    // The first method had no professions: its rows answer only the question without one.
    let legacy = this.filtered(filter).select([
      'id',
      'period',
      'method',
      sql<string>`'state_department_group'`.as('level'),
      'state_code',
      'specialty',
      sql<string | null>`cast(null as text)`.as('profession'),
      'n_users',
      'avg_weekly_hours as actual',
      'avg_planned_weekly_hours as planned',
      'avg_overtime_weekly_hours as overtime',
      'ci90_half_width as actual_ci',
      'planned_ci90_half_width as planned_ci',
      'overtime_ci90_half_width as overtime_ci',
      'epsilon',
      'k_min',
      'created_at',
    ]);
    if (filter.profession !== undefined) legacy = legacy.where(sql<boolean>`1 = 0`);
    return releases.unionAll(legacy);
  }

  /** Published cells of the first method, newest period first. */
  async list(filter: StatsFilter, limit: number, offset: number): Promise<StatsRow[]> {
    return this.filtered(filter)
      .selectAll()
      .orderBy('period', 'desc')
      .orderBy('state_code')
      .orderBy('specialty')
      .limit(limit)
      .offset(offset)
      .execute();
  }

  async count(filter: StatsFilter): Promise<number> {
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Distinct values of a column over the published rows of both methods, for the public summary. */
  async distinct(column: 'period' | 'state_code' | 'specialty'): Promise<string[]> {
    const current = this.db
      .selectFrom('stats_releases')
      .select(sql<string>`${sql.ref(column === 'specialty' ? 'department_group' : column)}`.as('value'))
      .where('level', '=', 'state_department_group');
    const rows = await this.db
      .selectFrom(this.db.selectFrom('stats_by_state_specialty').select(sql<string>`${sql.ref(column)}`.as('value')).union(current).as('d'))
      .select('value')
      .orderBy('value')
      .execute();
    return rows.map((r) => r.value);
  }

  private filtered(filter: StatsFilter) {
    let query = this.db.selectFrom('stats_by_state_specialty');
    if (filter.period !== undefined) query = query.where('period', '=', filter.period);
    if (filter.state_code !== undefined) query = query.where('state_code', '=', filter.state_code);
    if (filter.specialty !== undefined) query = query.where('specialty', '=', filter.specialty);
    return query;
  }
}
