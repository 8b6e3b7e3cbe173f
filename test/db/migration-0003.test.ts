import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Migrator } from 'kysely';
import { openDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { backend, createTestDatabase } from '../helpers/database.js';

describe(`migration 0003_accounts (${backend})`, () => {
  test('keeps the newest code per address and then allows only one', async () => {
    const testDb = await createTestDatabase();
    const database = openDatabase(testDb.config);
    const { db } = database;
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      const { error } = await migrator.migrateTo('0002_rate_limits');
      assert.equal(error, undefined);
      const code = (email_hash: string, created_at: string) => ({
        id: randomUUID(),
        email_hash,
        code: `code-${created_at}`,
        expires_at: '2026-03-15T10:15:00.000Z',
        used: false,
        created_at,
      });
      await db
        .insertInto('verification_codes')
        .values([
          code('a', '2026-03-15T10:00:00.000Z'),
          code('a', '2026-03-15T10:05:00.000Z'),
          code('a', '2026-03-15T10:01:00.000Z'),
          code('b', '2026-03-15T10:00:00.000Z'),
        ])
        .execute();

      await migrateToLatest(db);

      const rows = await db.selectFrom('verification_codes').select(['email_hash', 'code']).orderBy('email_hash').execute();
      assert.deepEqual(rows, [
        { email_hash: 'a', code: 'code-2026-03-15T10:05:00.000Z' },
        { email_hash: 'b', code: 'code-2026-03-15T10:00:00.000Z' },
      ]);
      await assert.rejects(db.insertInto('verification_codes').values(code('b', '2026-03-15T10:09:00.000Z')).execute());
    } finally {
      await database.destroy();
      await testDb.drop();
    }
  });
});
