/**
 * The service container: every piece of domain logic, wired once per app from the configuration, the
 * database and the clock. Routes reach it as `app.services`; tests and the CLI build it the same way.
 */
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { AdminStatsRepository } from '../db/repositories/admin-stats.js';
import { FeedbackRepository } from '../db/repositories/feedback.js';
import { PersonalDataRepository } from '../db/repositories/personal-data.js';
import { RateLimitRepository } from '../db/repositories/rate-limits.js';
import { UserRepository } from '../db/repositories/users.js';
import { VerificationCodeRepository } from '../db/repositories/verification-codes.js';
import { WorkEventRepository } from '../db/repositories/work-events.js';
import { AccountService } from './accounts.js';
import { AdminDashboard } from './admin-dashboard.js';
import { AuthService } from './auth.js';
import type { Clock } from './clock.js';
import { FeedbackService } from './feedback.js';
import { consoleLogger, type Logger } from './logger.js';
import { createMailer } from './mailer.js';
import { createPseudonymizer } from './pseudonym.js';
import { RateLimiter } from './rate-limiter.js';
import { TokenService } from './tokens.js';
import { WorkEventService } from './work-events.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
  /** Where services log (the app's pino logger); defaults to the console. */
  logger?: Logger;
}

export function createServices({ config, database, clock, logger = consoleLogger }: ServiceDeps) {
  const rateLimiter = new RateLimiter(new RateLimitRepository(database.db), clock);
  const users = new UserRepository(database.db);
  const tokens = new TokenService(config.secretKey, clock);
  const auth = new AuthService({
    config,
    clock,
    rateLimiter,
    tokens,
    users,
    mailer: createMailer(config, logger),
    codes: new VerificationCodeRepository(database.db),
  });
  const accounts = new AccountService({ config, clock, logger, users, personalData: new PersonalDataRepository(database.db) });
  const workEvents = new WorkEventService({ config, clock, events: new WorkEventRepository(database.db) });
  const pseudonym = createPseudonymizer(config.secretKey);
  const feedback = new FeedbackService(new FeedbackRepository(database.db), clock, pseudonym, config.feedbackRetentionDays);
  // The last run comes from the statistics aggregation once it exists (`aggregation.lastRun()`).
  const adminDashboard = new AdminDashboard(new AdminStatsRepository(database.db), clock, pseudonym, config.timezone, async () => null);
  return { rateLimiter, tokens, auth, accounts, workEvents, feedback, adminDashboard };
}

export type Services = ReturnType<typeof createServices>;
