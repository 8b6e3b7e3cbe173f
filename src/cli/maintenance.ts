/**
 * `npm run maintenance`: runs the daily maintenance once, every job the in-process schedule runs (publishes
 * closed months, then deletes expired login codes, e-mail verifications, rate-limit records with their IP
 * addresses, and feedback past FEEDBACK_RETENTION_DAYS), and prints one line per job. For operators who set
 * AGGREGATION_CRON=off and run it from cron instead. Safe next to running servers (the aggregation's lock,
 * idempotent deletes). Exit code 0 when every job succeeded; 1 otherwise, the failed jobs' lines on stderr.
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../services/clock.js';
import { createServices } from '../services/index.js';
import { silentLogger } from '../services/logger.js';
import type { JobOutcome } from '../services/maintenance.js';
import { configOrExit, exitWithError } from './common.js';

try {
  parseArgs({ options: {}, strict: true, allowPositionals: false });
} catch (error) {
  exitWithError('Usage: npm run maintenance', error);
}

const config = configOrExit();
const database = openDatabase(config.database);
let outcomes: JobOutcome[] = [];
try {
  if (config.migrateOnStart) await migrateToLatest(database.db);
  // The lines printed below are the CLI's output; the service's log records would only repeat them.
  const services = createServices({ config, database, clock: systemClock, logger: silentLogger });
  outcomes = await services.maintenance.runAll({ trigger: 'cli' });
} catch (error) {
  await database.destroy();
  exitWithError('Maintenance failed', error);
}
await database.destroy();
for (const outcome of outcomes) {
  (outcome.ok ? process.stdout : process.stderr).write(`${outcome.name}: ${outcome.summary} (${outcome.duration_ms} ms)\n`);
}
if (outcomes.some((outcome) => !outcome.ok)) process.exit(1);
