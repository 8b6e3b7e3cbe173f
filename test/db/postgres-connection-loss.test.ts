/**
 * A PostgreSQL connection that breaks while the service holds it (server crash, backend terminated by an
 * operator) must fail the request using it, not the whole process. Found by the database-crash fault suite
 * (test/reliability/faults-database.test.ts), which saw the server exit on "Connection terminated unexpectedly".
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/index.js';
import { backend, createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe(`PostgreSQL connection lost while in use (${backend})`, { skip: backend !== 'postgres' && 'PostgreSQL only' }, () => {
  let testDb: TestDatabase;
  let database: Database;
  before(async () => {
    testDb = await createTestDatabase();
    database = openDatabase(testDb.config);
  });
  after(async () => {
    await database.destroy();
    await testDb.drop();
  });

  test('a checked-out connection terminated between two queries fails its next query; the pool serves on', async () => {
    await database.db.connection().execute(async (connection) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(connection);
      // Another pooled connection terminates this one while no query of it runs: the client is idle but
      // checked out, which is where an unhandled 'error' event used to crash the process.
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(database.db);
      await sleep(200);
      await assert.rejects(sql`select 1`.execute(connection));
    });
    await database.ping();
  });
});
