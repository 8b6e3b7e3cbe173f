/**
 * `npm run aggregate [-- --period YYYY-MM]`: publishes every closed month not yet published (or one month)
 * and prints a short report. Safe next to running servers: only one process aggregates at a time, and a
 * month is published at most once. Exit code 0 on success or when another run already holds the lock;
 * 1 with one line on stderr otherwise.
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { systemClock } from '../services/clock.js';
import { createServices } from '../services/index.js';
import { silentLogger } from '../services/logger.js';
import { configOrExit, exitWithError } from './common.js';

let period: string | undefined;
try {
  ({ values: { period } } = parseArgs({ options: { period: { type: 'string' } }, strict: true, allowPositionals: false }));
} catch (error) {
  exitWithError('Usage: npm run aggregate [-- --period YYYY-MM]', error);
}

const config = configOrExit();
const database = openDatabase(config.database);
try {
  if (config.migrateOnStart) await migrateToLatest(database.db);
  // The report printed below is the CLI's output; the service's log records would only repeat it.
  const services = createServices({ config, database, clock: systemClock, logger: silentLogger });
  const report = await services.aggregation.run({ period, trigger: 'cli' });
  if (report.status === 'failed') {
    await database.destroy();
    exitWithError('Aggregation failed', report.error ?? report.message);
  }
  process.stdout.write(`${report.message} Took ${report.duration_ms} ms.\n`);
} catch (error) {
  await database.destroy();
  if (error instanceof AppError) exitWithError('Aggregation refused', error.detail);
  exitWithError('Aggregation failed', error);
}
await database.destroy();
