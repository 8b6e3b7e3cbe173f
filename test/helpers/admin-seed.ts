/**
 * Rows written straight into the database for admin and feedback tests, which need users and events
 * without going through the login flow.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.js';

export async function insertUser(
  db: Kysely<DB>,
  options: { registered?: boolean; createdAt?: string } = {},
): Promise<string> {
  const id = randomUUID();
  const registered = options.registered ?? true;
  const createdAt = options.createdAt ?? '2026-01-01T00:00:00.000Z';
  await db
    .insertInto('users')
    .values({
      id,
      email_hash: `hash-${id}`,
      hospital_id: registered ? 'charite' : null,
      specialty: registered ? 'innere_medizin' : null,
      role_level: registered ? 'assistenzarzt' : null,
      profession: registered ? 'physician' : null,
      seniority: registered ? 'assistenzarzt' : null,
      department_group: registered ? 'innere_medizin' : null,
      state_code: registered ? 'BE' : null,
      created_at: createdAt,
      terms_accepted_version: registered ? '2026-05' : null,
      privacy_accepted_version: registered ? '2026-05' : null,
      consent_accepted_at: registered ? createdAt : null,
      is_demo: false,
    })
    .execute();
  return id;
}

/** An anonymous plain-text feedback report written at `createdAt` (for the retention purge). */
export async function insertFeedback(db: Kysely<DB>, reports: { createdAt: string; description?: string }[]): Promise<void> {
  await db
    .insertInto('feedback')
    .values(
      reports.map(({ createdAt, description = 'report' }) => ({
        id: randomUUID(),
        user_id: null,
        description,
        app_version: null,
        build_number: null,
        platform: null,
        device_model: null,
        os_version: null,
        app_state: null,
        created_at: createdAt,
        updated_at: createdAt,
      })),
    )
    .execute();
}

export async function insertWorkEvent(
  db: Kysely<DB>,
  event: { userId: string; date: string; createdAt: string; planned?: number; actual?: number },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('work_events')
    .values({
      id,
      user_id: event.userId,
      date: event.date,
      planned_minutes: event.planned ?? 480,
      actual_minutes: event.actual ?? 540,
      created_at: event.createdAt,
    })
    .execute();
  return id;
}

export async function insertPublishedCell(db: Kysely<DB>, period: string, stateCode: string, specialty: string): Promise<void> {
  await db
    .insertInto('stats_by_state_specialty')
    .values({
      id: randomUUID(),
      period,
      state_code: stateCode,
      specialty,
      n_users: 10,
      avg_weekly_hours: 52.5,
      created_at: '2026-02-08T03:00:00.000Z',
    })
    .execute();
}

export const basicAuth = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
