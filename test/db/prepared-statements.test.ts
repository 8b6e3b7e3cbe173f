/** Automatic prepared statements on PostgreSQL (src/db/prepared-statements.ts). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/index.js';
import { prepareStatements } from '../../src/db/prepared-statements.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

const skip = backend === 'postgres' ? false : 'prepared statements exist only on PostgreSQL';

describe(`prepared statements (${backend})`, { skip }, () => {
  let t: TestApp;
  let other: Database;
  before(async () => {
    // One connection, so that every request of the test uses the same server-side statement cache.
    t = await createTestApp({ env: { DATABASE_POOL_MAX: '1' } });
    other = openDatabase(t.config.database);
  });
  after(async () => {
    await other?.destroy();
    await t?.close();
  });

  const prepared = async () =>
    (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(t.database.db)).rows;

  test('a parameterised query is parsed once per connection and then reused', async () => {
    const { token } = await createRegisteredUser(t);
    for (let i = 0; i < 3; i++) assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).statusCode, 200);
    const statements = (await prepared()).filter((s) => s.name.startsWith('owh_') && /from "users"/.test(s.statement));
    assert.equal(statements.length, 1, JSON.stringify(statements));
  });

  test('a migration by another process costs one 503, then the connection prepares against the new schema', async () => {
    const { token } = await createRegisteredUser(t);
    const me = () => t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
    assert.equal((await me()).statusCode, 200);
    await sql`alter table users add column added_by_a_later_release text`.execute(other.db);
    const stale = await me();
    assert.equal(stale.statusCode, 503, stale.body);
    assert.equal(typeof stale.json().detail, 'string');
    assert.ok(Number(stale.headers['retry-after']) > 0);
    assert.equal((await me()).statusCode, 200, 'the retry succeeds on the same connection');
  });

  test('the number of named statements is capped', async () => {
    const pool = new pg.Pool({ connectionString: t.config.database.dialect === 'postgres' ? t.config.database.url : '', max: 1 });
    prepareStatements(pool, { maxStatements: 1 });
    const client = await pool.connect();
    try {
      // Kysely's way of calling: text, parameters, a promise.
      await client.query('select $1::int as a', [1]);
      await client.query('select $1::int as b', [2]);
      await client.query('select $1::int as a', [3]);
      const { rows } = await client.query<{ statement: string }>("select statement from pg_prepared_statements where name like 'owh_%'");
      assert.deepEqual(rows.map((r) => r.statement), ['select $1::int as a']);
    } finally {
      client.release();
      await pool.end();
    }
  });
});
