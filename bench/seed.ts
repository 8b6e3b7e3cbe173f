/**
 * Seeds the benchmark database directly (much faster than through the API): registered doctors across
 * states and specialties with 60 confirmed days each, then publishes the closed months with the real
 * aggregation CLI so that the statistics endpoints serve real rows.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/index.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { systemClock } from '../src/services/clock.js';
import { DEPARTMENT_GROUP_CODES, STATE_CODES } from '../src/services/taxonomy.js';
import { TokenService } from '../src/services/tokens.js';
import type { Insertable } from 'kysely';
import type { WorkEventsTable } from '../src/db/schema.js';
import type { BenchDatabase } from './database.js';

export const SEED_USERS = 2000;
export const SEED_DAYS = 60;
const STATES = STATE_CODES;
// Five specialties, so that every (state, specialty) cell has 25 doctors and is published (k = 10).
const SPECIALTIES = DEPARTMENT_GROUP_CODES.slice(0, 5);

export interface SeededUser {
  id: string;
  token: string;
}

export interface Seeded {
  users: SeededUser[];
  eventCount: number;
  statsRows: number;
  /** The last seeded day (yesterday); POST scenarios use days before the seeded range. */
  firstSeededDate: string;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

export async function seed(benchDb: BenchDatabase, env: Record<string, string>): Promise<Seeded> {
  const config = loadConfig({ ...env, DATABASE_URL: benchDb.url });
  const database = openDatabase(config.database);
  const { db } = database;
  try {
    await migrateToLatest(db);
    const now = new Date();
    const createdAt = now.toISOString();
    const users = Array.from({ length: SEED_USERS }, (_, i) => ({
      id: randomUUID(),
      email_hash: `bench-${i}-${randomUUID()}`,
      hospital_id: `hospital-${i % 120}`,
      specialty: SPECIALTIES[i % SPECIALTIES.length]!,
      department_group: SPECIALTIES[i % SPECIALTIES.length]!,
      profession: 'physician',
      seniority: ['assistenzarzt', 'facharzt', 'oberarzt_plus'][i % 3]!,
      role_level: ['assistenzarzt', 'facharzt', 'oberarzt_plus'][i % 3]!,
      state_code: STATES[Math.floor(i / SPECIALTIES.length) % STATES.length]!,
      created_at: createdAt,
      terms_accepted_version: config.currentTermsVersion,
      privacy_accepted_version: config.currentPrivacyVersion,
      consent_accepted_at: createdAt,
      is_demo: false,
    }));
    for (let i = 0; i < users.length; i += 500) await db.insertInto('users').values(users.slice(i, i + 500)).execute();

    const days = Array.from({ length: SEED_DAYS }, (_, d) => isoDate(new Date(now.getTime() - (d + 1) * 86_400_000)));
    let batch: Insertable<WorkEventsTable>[] = [];
    let eventCount = 0;
    const flush = async () => {
      if (batch.length) await db.insertInto('work_events').values(batch).execute();
      eventCount += batch.length;
      batch = [];
    };
    for (const [u, user] of users.entries()) {
      for (const [d, date] of days.entries()) {
        const planned = 480 + ((u + d) % 5) * 30;
        batch.push({
          id: randomUUID(),
          user_id: user.id,
          date,
          planned_minutes: planned,
          actual_minutes: planned + ((u * 7 + d * 13) % 180),
          created_at: createdAt,
        });
        if (batch.length === 1000) await flush();
      }
    }
    await flush();

    // Publish every closed month with the real job, as the daily schedule would. At EPSILON=10, so that the
    // statistics scenarios serve the rows a large participation would show: at the default EPSILON=1, 25
    // doctors per cell are shown in few of the cells, and which ones varies from seed to seed.
    execFileSync(process.execPath, [path.resolve('dist/cli/aggregate.js')], {
      env: { PATH: process.env.PATH ?? '', ...env, DATABASE_URL: benchDb.url, EPSILON: '10' },
      stdio: 'ignore',
    });
    const stats = await db
      .selectFrom('stats_releases')
      .select(db.fn.countAll<number>().as('n'))
      .where('level', '=', 'cell')
      .executeTakeFirstOrThrow();

    const tokens = new TokenService(config.secretKey, systemClock);
    const seeded: SeededUser[] = [];
    for (const user of users) seeded.push({ id: user.id, token: (await tokens.issue(user.id)).token });
    return { users: seeded, eventCount, statsRows: Number(stats.n), firstSeededDate: days[days.length - 1]! };
  } finally {
    await database.destroy();
  }
}
