/**
 * The service container: every piece of domain logic, wired once per app from the configuration, the
 * database and the clock. Routes reach it as `app.services`; tests and the CLI build it the same way.
 */
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { PrivacyLedgerRepository } from '../db/repositories/privacy-ledger.js';
import { RateLimitRepository } from '../db/repositories/rate-limits.js';
import { StatisticsRepository } from '../db/repositories/statistics.js';
import { AggregationService } from './aggregation.js';
import type { Clock } from './clock.js';
import { silentLogger, type Logger } from './logger.js';
import { DailyMaintenance } from './maintenance.js';
import { RateLimiter } from './rate-limiter.js';
import { StatisticsService } from './statistics.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
  /** Where services log (the app passes its pino logger); silent when omitted. */
  logger?: Logger;
}

export function createServices({ config, database, clock, logger = silentLogger }: ServiceDeps) {
  const rateLimiter = new RateLimiter(new RateLimitRepository(database.db), clock);
  const statistics = new StatisticsService(
    new StatisticsRepository(database.db),
    new PrivacyLedgerRepository(database.db),
    config,
    clock,
  );
  const aggregation = new AggregationService({
    config,
    database,
    clock,
    logger,
    onPublished: () => statistics.invalidate(),
  });

  // Run once a day by the scheduler plugin (AGGREGATION_CRON); add further daily jobs here.
  const maintenance = new DailyMaintenance(logger);
  maintenance.register('aggregation', () => aggregation.run({ trigger: 'schedule' }));
  maintenance.register('rate-limit purge', () => rateLimiter.purgeExpired());

  return { rateLimiter, statistics, aggregation, maintenance };
}

export type Services = ReturnType<typeof createServices>;
