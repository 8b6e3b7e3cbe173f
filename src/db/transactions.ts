/**
 * Locks and transactions whose mechanics differ between the two databases, behind one interface, so that
 * services can say "only one process at a time" and "all of this or none of it, on one snapshot".
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './index.js';
import type { DB } from './schema.js';

export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `work` while holding the PostgreSQL session advisory lock `key` on one dedicated connection, or returns
 * `{ acquired: false }` at once when another session (any process) holds it. A crashed holder's lock ends
 * with its connection. SQLite has no advisory locks; there `work` runs directly and `snapshotTransaction`'s
 * write lock serialises writers across processes.
 */
export async function withAdvisoryLock<T>(
  database: Database,
  key: bigint,
  work: (db: Kysely<DB>) => Promise<T>,
): Promise<LockOutcome<T>> {
  if (database.dialect === 'sqlite') return { acquired: true, value: await work(database.db) };
  return database.db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key.toString()}::bigint) as locked`.execute(connection);
    if (!rows[0]?.locked) return { acquired: false };
    try {
      return { acquired: true, value: await work(connection) };
    } finally {
      await sql`select pg_advisory_unlock(${key.toString()}::bigint)`.execute(connection);
    }
  });
}

export const AGGREGATION_STATEMENT_TIMEOUT = '15min';

/**
 * A transaction on one consistent snapshot that commits all of `work` or nothing. PostgreSQL: REPEATABLE
 * READ, so that several statements over work events see the same data. SQLite: BEGIN IMMEDIATE, which takes
 * the database's write lock before the first read, so a second process waits and then sees the result.
 */
export async function snapshotTransaction<T>(
  db: Kysely<DB>,
  dialect: Database['dialect'],
  work: (trx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  if (dialect === 'postgres') {
    return db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        // The pool's 30-second statement timeout guards requests; a month of a large country may take longer.
        await sql.raw(`set local statement_timeout = '${AGGREGATION_STATEMENT_TIMEOUT}'`).execute(trx);
        return work(trx);
      });
  }
  return immediateTransaction(db, work);
}

/**
 * Runs `work` in a transaction that holds a lock on `name` until it ends: one process at a time per name, for
 * a read followed by a write that must not interleave with another's (a rate limit's count and its new hit).
 * PostgreSQL: a transaction-scoped advisory lock on the name's 64-bit hash (two names that share a hash only
 * wait for each other). SQLite: BEGIN IMMEDIATE, the database's write lock.
 */
export async function lockedTransaction<T>(database: Database, name: string, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    return database.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(trx);
      return work(trx);
    });
  }
  return immediateTransaction(database.db, work);
}

/** SQLite: BEGIN IMMEDIATE takes the write lock before the first read; a second process waits for it. */
function immediateTransaction<T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const value = await work(connection);
      await sql`commit`.execute(connection);
      return value;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}
