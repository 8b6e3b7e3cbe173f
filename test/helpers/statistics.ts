/** Seeds users, work events and published rows straight into the tables, for the statistics tests. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, StatsByStateSpecialtyTable } from '../../src/db/schema.js';
import { monthRange, addDays } from '../../src/services/periods.js';

export interface SeedUser {
  state_code?: string | null;
  specialty?: string | null;
  is_demo?: boolean;
  /** A registered user has state, specialty and consent; false leaves consent unset. */
  consented?: boolean;
}

export async function addUser(db: Kysely<DB>, user: SeedUser = {}): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('users')
    .values({
      id,
      email_hash: `hash-${id}`,
      hospital_id: 'hospital-1',
      role_level: 'assistant',
      state_code: user.state_code === undefined ? 'BY' : user.state_code,
      specialty: user.specialty === undefined ? 'internal_medicine' : user.specialty,
      created_at: '2025-01-01T00:00:00.000Z',
      terms_accepted_version: '2026-01',
      privacy_accepted_version: '2026-01',
      consent_accepted_at: user.consented === false ? null : '2025-01-01T00:00:00.000Z',
      is_demo: user.is_demo ?? false,
    })
    .execute();
  return id;
}

/** `days` consecutive days from the first of `period`, each with the same minutes. */
export async function addMonthOfEvents(
  db: Kysely<DB>,
  userId: string,
  period: string,
  days: number,
  minutes: { actual: number; planned: number },
): Promise<void> {
  const { first } = monthRange(period);
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

/** `count` registered users in one cell, each with `days` days of the same minutes in `period`. */
export async function addCell(
  db: Kysely<DB>,
  cell: { period: string; state_code?: string; specialty?: string; users: number; days?: number; actual?: number; planned?: number },
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < cell.users; i++) {
    const id = await addUser(db, { state_code: cell.state_code ?? 'BY', specialty: cell.specialty ?? 'internal_medicine' });
    await addMonthOfEvents(db, id, cell.period, cell.days ?? 20, { actual: cell.actual ?? 540, planned: cell.planned ?? 480 });
    ids.push(id);
  }
  return ids;
}

export async function publishedRows(db: Kysely<DB>) {
  return db.selectFrom('stats_by_state_specialty').selectAll().orderBy('period').orderBy('state_code').orderBy('specialty').execute();
}

export async function count(db: Kysely<DB>, table: 'privacy_ledger' | 'stats_periods' | 'stats_by_state_specialty' | 'aggregation_runs') {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A published row as the aggregation would write it (for endpoint tests). */
export function statsRow(overrides: Partial<StatsByStateSpecialtyTable> = {}): StatsByStateSpecialtyTable {
  return {
    id: randomUUID(),
    period: '2026-01',
    state_code: 'BY',
    specialty: 'internal_medicine',
    n_users: 15,
    avg_weekly_hours: 52.25,
    avg_planned_weekly_hours: 44.5,
    avg_overtime_weekly_hours: 7.75,
    ci90_half_width: 19.19,
    epsilon: 1,
    k_min: 10,
    created_at: '2026-02-08T03:00:00.000Z',
    ...overrides,
  };
}
