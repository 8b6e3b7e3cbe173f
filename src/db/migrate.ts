import { Migrator, SqliteAdapter, sql, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/**
 * Applies every pending migration. Safe to run repeatedly (a no-op when up to date) and from several
 * processes at once. On PostgreSQL, Kysely holds an advisory lock and runs the migrations in one
 * transaction. Kysely's SQLite adapter takes no lock at all (it assumes one process), so there we hold
 * SQLite's write lock (`BEGIN IMMEDIATE`) for the whole run: a second process waits, then finds nothing to
 * do. Returns the names of the migrations this call applied.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrate = (on: Kysely<any>, disableTransactions: boolean) =>
    new Migrator({ db: on, provider: { getMigrations: async () => migrations }, disableTransactions }).migrateToLatest();

  let outcome: MigrationResultSet;
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    outcome = await db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      const result = await migrate(connection, true);
      await sql.raw(result.error ? 'rollback' : 'commit').execute(connection);
      return result;
    });
  } else {
    outcome = await migrate(db, false);
  }

  const { error, results = [] } = outcome;
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
