/** Seeds users, work events and published rows straight into the tables, for the statistics tests. */
import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { DB, StatsByStateSpecialtyTable } from '../../src/db/schema.js';
import { monthRange, addDays } from '../../src/services/periods.js';
import { weeksOfMonth } from '../../src/db/repositories/monthly-aggregation.js';

/**
 * For tests of what surrounds the method (routes, CSV, admin, the app card, the scheduler): EPSILON=10, the
 * production maximum. A cell of 45 people is then displayed with certainty (to 1e-9) and within ±2 h, and
 * the noise is still drawn (a re-drawn month would differ). What the method does at the default EPSILON=1 is
 * tested in test/services/statistics-method.test.ts and measured by `npm run bench:privacy`.
 */
export const CERTAIN_DISPLAY_ENV = { EPSILON: '10' } as const;

/** The Monday of the month's first ISO week (the first week whose Thursday is in the month). */
export function firstMonday(period: string): string {
  const { first, last } = monthRange(period);
  return weeksOfMonth(first, last)[0]!;
}

export interface SeedUser {
  state_code?: string | null;
  /** The department group, i.e. the cell's `specialty`; null makes a user who never chose a profession. */
  specialty?: string | null;
  is_demo?: boolean;
  /** A registered user has a profession, state, department group and consent; false leaves consent unset. */
  consented?: boolean;
}

export async function addUser(db: Kysely<DB>, user: SeedUser = {}): Promise<string> {
  const id = randomUUID();
  const group = user.specialty === undefined ? 'innere_medizin' : user.specialty;
  await db
    .insertInto('users')
    .values({
      id,
      email_hash: `hash-${id}`,
      hospital_id: 'hospital-1',
      role_level: 'assistenzarzt',
      state_code: user.state_code === undefined ? 'BY' : user.state_code,
      specialty: group,
      department_group: group,
      profession: group === null ? null : 'physician',
      seniority: 'assistenzarzt',
      created_at: '2025-01-01T00:00:00.000Z',
      terms_accepted_version: '2026-05',
      privacy_accepted_version: '2026-05',
      consent_accepted_at: user.consented === false ? null : '2025-01-01T00:00:00.000Z',
      is_demo: user.is_demo ?? false,
    })
    .execute();
  return id;
}

/** `days` consecutive days from the Monday of the month's first ISO week (7 days: one complete week), each with the same minutes. */
export async function addMonthOfEvents(
  db: Kysely<DB>,
  userId: string,
  period: string,
  days: number,
  minutes: { actual: number; planned: number },
): Promise<void> {
  const first = firstMonday(period);
  const dates = Array.from({ length: days }, (_, i) => addDays(first, i));
  await addEvents(db, userId, dates, minutes);
}

export async function addEvents(
  db: Kysely<DB>,
  userId: string,
  dates: string[],
  minutes: { actual: number; planned: number },
): Promise<void> {
  if (dates.length === 0) return;
  await db
    .insertInto('work_events')
    .values(
      dates.map((date) => ({
        id: randomUUID(),
        user_id: userId,
        date,
        planned_minutes: minutes.planned,
        actual_minutes: minutes.actual,
        created_at: '2026-01-01T00:00:00.000Z',
      })),
    )
    .execute();
}

/** Finalized weeks of one user (the app's weekly sends), stored as the service stores them. */
export async function addFinalizedWeeks(
  db: Kysely<DB>,
  userId: string,
  weeks: { week_start: string; actual_hours: number; planned_hours: number }[],
): Promise<void> {
  if (weeks.length === 0) return;
  await db
    .insertInto('finalized_weeks')
    .values(
      weeks.map((week) => ({
        id: randomUUID(),
        user_id: userId,
        week_start: week.week_start,
        week_end: addDays(week.week_start, 6),
        planned_centihours: Math.round(week.planned_hours * 100),
        actual_centihours: Math.round(week.actual_hours * 100),
        hospital_id: 'hospital-1',
        specialty: 'innere_medizin',
        role_level: 'assistenzarzt',
        state_code: 'BY',
        country_code: 'DEU',
        profession: 'physician',
        seniority: 'assistenzarzt',
        department_group: 'innere_medizin',
        specialization_code: null,
        hospital_ref_id: null,
        finalized_at: '2026-02-01T00:00:00.000Z',
      })),
    )
    .execute();
}

/**
 * `users` registered users in one cell, each with `days` days of the same minutes from the Monday of the
 * month's first ISO week (default 14: two complete weeks), in bulk inserts.
 */
export async function addCell(
  db: Kysely<DB>,
  cell: {
    period: string;
    state_code?: string;
    specialty?: string;
    profession?: string;
    users: number;
    days?: number;
    actual?: number;
    planned?: number;
  },
): Promise<string[]> {
  const ids = Array.from({ length: cell.users }, () => randomUUID());
  if (ids.length === 0) return ids;
  await db
    .insertInto('users')
    .values(
      ids.map((id) => ({
        id,
        email_hash: `hash-${id}`,
        state_code: cell.state_code ?? 'BY',
        specialty: cell.specialty ?? 'innere_medizin',
        department_group: cell.specialty ?? 'innere_medizin',
        profession: cell.profession ?? 'physician',
        created_at: '2025-01-01T00:00:00.000Z',
        terms_accepted_version: '2026-05',
        privacy_accepted_version: '2026-05',
        consent_accepted_at: '2025-01-01T00:00:00.000Z',
        is_demo: false,
      })),
    )
    .execute();
  const first = firstMonday(cell.period);
  const dates = Array.from({ length: cell.days ?? 14 }, (_, i) => addDays(first, i));
  const events = ids.flatMap((user_id) =>
    dates.map((date) => ({
      id: randomUUID(),
      user_id,
      date,
      planned_minutes: cell.planned ?? 480,
      actual_minutes: cell.actual ?? 540,
      created_at: '2026-01-01T00:00:00.000Z',
    })),
  );
  // Stay below SQLite's limit on bound parameters per statement.
  for (let i = 0; i < events.length; i += 1000) await db.insertInto('work_events').values(events.slice(i, i + 1000)).execute();
  return ids;
}

export async function publishedRows(db: Kysely<DB>) {
  return db.selectFrom('stats_by_state_specialty').selectAll().orderBy('period').orderBy('state_code').orderBy('specialty').execute();
}

/** The current method's published figures of one level, ordered by their keys. */
export async function releasedRows(db: Kysely<DB>, level = 'cell') {
  return db
    .selectFrom('stats_releases')
    .selectAll()
    .where('level', '=', level)
    .orderBy('period')
    .orderBy('state_code')
    .orderBy('department_group')
    .orderBy('profession')
    .execute();
}

export async function count(
  db: Kysely<DB>,
  table: 'privacy_ledger' | 'stats_periods' | 'stats_by_state_specialty' | 'stats_releases' | 'aggregation_runs',
) {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A published row as the aggregation would write it (for endpoint tests): overtime = actual − planned. */
export function statsRow(overrides: Partial<Insertable<StatsByStateSpecialtyTable>> = {}): Insertable<StatsByStateSpecialtyTable> {
  return {
    id: randomUUID(),
    period: '2026-01',
    state_code: 'BY',
    specialty: 'innere_medizin',
    n_users: 15,
    avg_weekly_hours: 52.25,
    avg_planned_weekly_hours: 44.5,
    avg_overtime_weekly_hours: 7.75,
    ci90_half_width: 19.19,
    planned_ci90_half_width: 76.76,
    overtime_ci90_half_width: 101.46,
    epsilon: 1,
    k_min: 10,
    created_at: '2026-02-08T03:00:00.000Z',
    ...overrides,
  };
}

/** Makes every insert into the privacy ledger fail, to simulate a crash in the middle of publishing a month. */
export async function breakLedger(db: Kysely<DB>, backend: 'sqlite' | 'postgres'): Promise<() => Promise<void>> {
  if (backend === 'postgres') {
    await sql`create function fail_ledger() returns trigger language plpgsql as $$ begin raise exception 'ledger unavailable'; end $$`.execute(db);
    await sql`create trigger fail_ledger before insert on privacy_ledger for each row execute function fail_ledger()`.execute(db);
    return async () => void (await sql`drop trigger fail_ledger on privacy_ledger`.execute(db));
  }
  await sql`create trigger fail_ledger before insert on privacy_ledger begin select raise(abort, 'ledger unavailable'); end`.execute(db);
  return async () => void (await sql`drop trigger fail_ledger`.execute(db));
}
