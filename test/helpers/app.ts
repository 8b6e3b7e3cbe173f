/**
 * Builds the real app on a fresh, migrated database. Tests talk to it through `app.inject()`; nothing below
 * the HTTP layer is mocked.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Clock } from '../../src/services/clock.js';
import type { LogDestination } from '../../src/services/log-buffer.js';
import { FakeClock } from './clock.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_SECRETS = {
  SECRET_KEY: 'test-secret-key-0123456789abcdef0123456789abcdef',
  EMAIL_HASH_SECRET: 'test-email-hash-secret-0123456789abcdef012345',
};

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  database: Database;
  testDatabase: TestDatabase;
  clock: FakeClock;
  /** The environment the config was read from; pass it to spawned servers to share the database. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: FakeClock;
  /** Hook to add test-only routes or decorations before the app is ready. */
  beforeReady?: (app: FastifyInstance) => void | Promise<void>;
  /** Where log lines go besides the admin log buffer (default stdout); e.g. a no-op with LOG_LEVEL=info. */
  logDestination?: LogDestination;
}

export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'owh-data-')),
    DATABASE_URL: databaseUrl,
    AGGREGATION_CRON: 'off',
    // The event-loop bound of the overload gate measures the machine: on a loaded CI machine (Chromium, two
    // test files, PostgreSQL on two cores) it refused a browser test's page load. Its own tests set it.
    SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    // No test may reach Apple or Google: their key URLs point at a closed local port unless a test serves keys.
    APPLE_JWKS_URL: 'http://127.0.0.1:9/apple-keys',
    GOOGLE_JWKS_URL: 'http://127.0.0.1:9/google-keys',
    ...TEST_SECRETS,
    ...extra,
  };
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const testDatabase = await createTestDatabase();
  const env = testEnv(testDatabase.url, options.env);
  const config = loadConfig(env);
  const database = openDatabase(config.database);
  await migrateToLatest(database.db);
  const clock = options.clock ?? new FakeClock();
  const app = await buildApp({ config, database, clock: clock as Clock, logDestination: options.logDestination });
  await options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    config,
    database,
    testDatabase,
    clock,
    env,
    async close() {
      await app.close();
      await database.destroy();
      await testDatabase.drop();
    },
  };
}
