/**
 * A real server process on its own test database, with users and tokens seeded straight into the database,
 * for the load and fault suites. The test process keeps its own connection to the same database to seed
 * before and to inspect after the traffic.
 */
import { randomInt } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { systemClock } from '../../src/services/clock.js';
import { TokenService } from '../../src/services/tokens.js';
import { FIRST_DATE } from '../../src/services/work-events.js';
import { testEnv } from '../helpers/app.js';
import { insertUser } from '../helpers/admin-seed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startServer, type RunningServer } from '../helpers/process.js';

export interface ServiceProcess {
  server: RunningServer;
  /** The environment the server runs with; start another process with it to reuse the database. */
  env: Record<string, string>;
  config: Config;
  /** The test's own connection to the server's database. */
  database: Database;
  /** Stops the server (if still running) and removes its database. */
  close(): Promise<void>;
}

/**
 * Starts `src/server.ts` on a fresh database (or the given one). The server trusts 127.0.0.1 as a proxy,
 * so tests give each simulated phone its own client address with `X-Forwarded-For` and per-IP limits
 * (feedback, sign-in) apply per phone, as in production behind the reverse proxy.
 */
export async function startServiceProcess(
  options: { databaseUrl?: string; env?: Record<string, string> } = {},
): Promise<ServiceProcess> {
  const testDb: TestDatabase | null = options.databaseUrl ? null : await createTestDatabase();
  // LOG_LEVEL info: the test helper finds the port in the "Server listening" line.
  const env = testEnv(options.databaseUrl ?? testDb!.url, { LOG_LEVEL: 'info', TRUSTED_PROXIES: '127.0.0.1', ...options.env });
  const config = loadConfig(env);
  const server = await startServer(env);
  const database = openDatabase(config.database);
  return {
    server,
    env,
    config,
    database,
    async close() {
      await server.stop('SIGKILL');
      await database.destroy();
      await testDb?.drop();
    },
  };
}

export interface SeededUser {
  userId: string;
  token: string;
}

/** Users inserted directly (registered or not), each with a valid access token the server accepts. */
export async function seedUsers(
  database: Database,
  config: Config,
  count: number,
  options: { registered?: boolean } = {},
): Promise<SeededUser[]> {
  const tokens = new TokenService(config.secretKey, systemClock);
  const users: SeededUser[] = [];
  for (let i = 0; i < count; i++) {
    const userId = await insertUser(database.db, { registered: options.registered ?? true });
    users.push({ userId, token: (await tokens.issue(userId)).token });
  }
  return users;
}

export const auth = (user: SeededUser) => ({ authorization: `Bearer ${user.token}` });

/** A fresh client address (TEST-NET-3) for `X-Forwarded-For`. */
export const phoneIp = () => `203.0.${randomInt(0, 256)}.${randomInt(1, 255)}`;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The k-th calendar day from the first accepted date: always in the past for the k these suites use. */
export function pastDate(k: number): string {
  return new Date(Date.parse(`${FIRST_DATE}T00:00:00Z`) + k * DAY_MS).toISOString().slice(0, 10);
}

/** Work-event rows per `user_id date`, to compare with the answers the clients received. */
export async function workEventRowCounts(database: Database): Promise<Map<string, number>> {
  const rows = await database.db
    .selectFrom('work_events')
    .select(['user_id', 'date', (eb) => eb.fn.countAll().as('n')])
    .groupBy(['user_id', 'date'])
    .execute();
  return new Map(rows.map((r) => [`${r.user_id} ${r.date}`, Number(r.n)]));
}

export async function countRows(database: Database, table: 'users' | 'work_events' | 'feedback' | 'verification_codes'): Promise<number> {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Polls until `check` returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
