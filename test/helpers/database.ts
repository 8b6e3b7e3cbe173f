/**
 * A fresh, empty database for each test app. `TEST_DATABASE_URL` selects the backend: unset means SQLite
 * (a file in a temporary directory), a `postgres://` URL means a new database created on that server for
 * this test and dropped afterwards. `npm test` is run once per backend in CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;
export const backend: 'sqlite' | 'postgres' = TEST_DATABASE_URL ? 'postgres' : 'sqlite';

export interface TestDatabase {
  config: DatabaseConfig;
  /** The value for `DATABASE_URL` that points at this database. */
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) {
    const dir = mkdtempSync(path.join(tmpdir(), 'owh-test-'));
    const file = path.join(dir, 'owh.db');
    return {
      config: { dialect: 'sqlite', path: file },
      url: `sqlite:${file}`,
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `owh_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(TEST_DATABASE_URL, `CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    config: { dialect: 'postgres', url: url.toString(), poolMax: 10 },
    url: url.toString(),
    async drop() {
      await adminQuery(TEST_DATABASE_URL!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement (CREATE/DROP DATABASE) on its own connection to the server `serverUrl` names. */
export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
