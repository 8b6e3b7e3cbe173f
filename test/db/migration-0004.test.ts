import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Migrator, type Kysely } from 'kysely';
import { openDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { backend, createTestDatabase } from '../helpers/database.js';

describe(`migration 0004_work_event_updates (${backend})`, () => {
  test('existing events get updated_at = created_at', async () => {
    const testDb = await createTestDatabase();
    const database = openDatabase(testDb.config);
    // The schema before 0004 has no updated_at column: talk to it untyped.
    const db = database.db as unknown as Kysely<any>;
    try {
      const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo('0003_accounts');
      assert.equal(error, undefined);
      const userId = randomUUID();
      const createdAt = '2026-02-01T08:00:00.000Z';
      await db.insertInto('users').values({ id: userId, email_hash: 'h', created_at: createdAt, is_demo: false }).execute();
      await db
        .insertInto('work_events')
        .values({ id: randomUUID(), user_id: userId, date: '2026-01-31', planned_minutes: 480, actual_minutes: 500, created_at: createdAt })
        .execute();

      await migrateToLatest(db);

      const row = await database.db.selectFrom('work_events').select(['created_at', 'updated_at']).executeTakeFirstOrThrow();
      assert.deepEqual(row, { created_at: createdAt, updated_at: createdAt });
    } finally {
      await database.destroy();
      await testDb.drop();
    }
  });
});
