import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { TEST_SECRETS } from '../helpers/app.js';
import { backend, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';

const ALL = Object.keys(migrations);

describe(`migrations (${backend})`, () => {
  let testDb: TestDatabase;
  before(async () => {
    testDb = await createTestDatabase();
  });
  after(async () => testDb.drop());

  test('several processes migrating a fresh database at once apply each migration exactly once', async () => {
    // `npm run migrate` in four processes at the same moment, as when several instances start together.
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runScript('src/cli/migrate.ts', { DATABASE_URL: testDb.url, NODE_ENV: 'test', ...TEST_SECRETS })),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const appliedBy = runs.filter((r) => r.stdout.includes('Applied:'));
    assert.equal(appliedBy.length, 1, 'exactly one process applied the migrations');
    assert.equal(runs.filter((r) => r.stdout.includes('up to date')).length, 3);
    const database = openDatabase(testDb.config);
    try {
      const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
      assert.deepEqual(rows.rows.map((r) => r.name), ALL);
    } finally {
      await database.destroy();
    }
  });

  test('migrating again is a no-op', async () => {
    const database = openDatabase(testDb.config);
    try {
      assert.deepEqual(await migrateToLatest(database.db), []);
    } finally {
      await database.destroy();
    }
  });

  test('the schema enforces what the service relies on', async () => {
    const database = openDatabase(testDb.config);
    const { db } = database;
    try {
      const now = new Date().toISOString();
      const userId = crypto.randomUUID();
      await db.insertInto('users').values({ id: userId, email_hash: 'h1', created_at: now, is_demo: false }).execute();
      await assert.rejects(
        db.insertInto('users').values({ id: crypto.randomUUID(), email_hash: 'h1', created_at: now, is_demo: false }).execute(),
        'email_hash is unique',
      );
      const event = { user_id: userId, date: '2026-01-05', planned_minutes: 480, actual_minutes: 600, created_at: now };
      await db.insertInto('work_events').values({ id: crypto.randomUUID(), ...event }).execute();
      await assert.rejects(db.insertInto('work_events').values({ id: crypto.randomUUID(), ...event }).execute(), 'one event per user and day');
      await assert.rejects(
        db.insertInto('work_events').values({ ...event, id: crypto.randomUUID(), user_id: crypto.randomUUID(), date: '2026-01-06' }).execute(),
        'work events reference an existing user',
      );
      const stored = await db.selectFrom('work_events').selectAll().executeTakeFirstOrThrow();
      assert.equal(stored.date, '2026-01-05', 'dates come back as YYYY-MM-DD on both databases');
      assert.equal(stored.created_at, now, 'timestamps come back as ISO strings on both databases');
      await db.deleteFrom('users').where('id', '=', userId).execute();
      const left = await db.selectFrom('work_events').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0, 'deleting a user deletes their work events');
    } finally {
      await database.destroy();
    }
  });
});

describe('PostgreSQL timestamp conversion', () => {
  test('the fast path agrees with Date for every fraction length, and odd input takes the general parser', async () => {
    const { timestamptzToIso } = await import('../../src/db/index.js');
    assert.equal(timestamptzToIso('2026-11-27 12:34:56+00'), '2026-11-27T12:34:56.000Z');
    assert.equal(timestamptzToIso('2026-11-27 12:34:56.7+00'), '2026-11-27T12:34:56.700Z');
    assert.equal(timestamptzToIso('2026-11-27 12:34:56.789+00'), '2026-11-27T12:34:56.789Z');
    assert.equal(timestamptzToIso('2026-11-27 12:34:56.789999+00'), '2026-11-27T12:34:56.789Z');
    assert.equal(timestamptzToIso('2026-11-27 13:34:56.5+01'), '2026-11-27T12:34:56.500Z', 'another session time zone');
  });
});

describe(`snapshot transactions (${backend})`, () => {
  test('an aggregation statement may run longer than the request timeout', { skip: backend === 'sqlite' && 'PostgreSQL only' }, async () => {
    const testDb = await createTestDatabase();
    const database = openDatabase(testDb.config);
    try {
      const { snapshotTransaction, AGGREGATION_STATEMENT_TIMEOUT } = await import('../../src/db/transactions.js');
      const inside = await snapshotTransaction(database.db, database.dialect, async (trx) => (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(trx)).rows[0]!.statement_timeout);
      const outside = (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(database.db)).rows[0]!.statement_timeout;
      assert.equal(inside, AGGREGATION_STATEMENT_TIMEOUT);
      assert.equal(outside, '30s', 'requests keep the short timeout');
    } finally {
      await database.destroy();
      await testDb.drop();
    }
  });
});
