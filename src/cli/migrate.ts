/** `npm run migrate`: applies pending migrations to the configured database and reports what it did. */
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { configOrExit, exitWithError } from './common.js';

const config = configOrExit();
const database = openDatabase(config.database);
try {
  const applied = await migrateToLatest(database.db);
  process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date\n');
} catch (error) {
  exitWithError('Migration failed', error);
} finally {
  await database.destroy();
}
