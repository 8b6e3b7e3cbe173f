/**
 * The service container: every piece of domain logic, wired once per app from the configuration, the
 * database and the clock. Routes reach it as `app.services`; tests and the CLI build it the same way.
 */
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { AdminStatsRepository } from '../db/repositories/admin-stats.js';
import { FeedbackRepository } from '../db/repositories/feedback.js';
import { RateLimitRepository } from '../db/repositories/rate-limits.js';
import { AdminDashboard } from './admin-dashboard.js';
import type { Clock } from './clock.js';
import { FeedbackService } from './feedback.js';
import { createPseudonymizer } from './pseudonym.js';
import { RateLimiter } from './rate-limiter.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
}

export function createServices({ config, database, clock }: ServiceDeps) {
  const rateLimiter = new RateLimiter(new RateLimitRepository(database.db), clock);
  const pseudonym = createPseudonymizer(config.secretKey);
  const feedback = new FeedbackService(new FeedbackRepository(database.db), clock, pseudonym, config.feedbackRetentionDays);
  // The last run comes from the statistics aggregation once it exists (`aggregation.lastRun()`).
  const adminDashboard = new AdminDashboard(new AdminStatsRepository(database.db), clock, pseudonym, config.timezone, async () => null);
  return { rateLimiter, feedback, adminDashboard };
}

export type Services = ReturnType<typeof createServices>;
