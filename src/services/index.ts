/**
 * The service container: every piece of domain logic, wired once per app from the configuration, the
 * database and the clock. Routes reach it as `app.services`; tests and the CLI build it the same way.
 */
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { EmailVerificationRepository } from '../db/repositories/email-verifications.js';
import { AdminStatsRepository } from '../db/repositories/admin-stats.js';
import { FeedbackRepository } from '../db/repositories/feedback.js';
import { FinalizedWeekRepository } from '../db/repositories/finalized-weeks.js';
import { ImportedStatisticsRepository } from '../db/repositories/imported-statistics.js';
import { PersonalDataRepository } from '../db/repositories/personal-data.js';
import { PrivacyLedgerRepository } from '../db/repositories/privacy-ledger.js';
import { RateLimitRepository } from '../db/repositories/rate-limits.js';
import { SocialIdentityRepository } from '../db/repositories/social-identities.js';
import { StatisticsRepository } from '../db/repositories/statistics.js';
import { UserRepository } from '../db/repositories/users.js';
import { VerificationCodeRepository } from '../db/repositories/verification-codes.js';
import { WorkEventRepository } from '../db/repositories/work-events.js';
import { AccountService } from './accounts.js';
import { AdminDashboard } from './admin-dashboard.js';
import { AggregationService } from './aggregation.js';
import { AuthService } from './auth.js';
import type { Clock } from './clock.js';
import { FeedbackService } from './feedback.js';
import { FinalizedWeekService } from './finalized-weeks.js';
import { ImportedStatisticsService } from './imported-statistics.js';
import { consoleLogger, type Logger } from './logger.js';
import { createMailer } from './mailer.js';
import { DailyMaintenance } from './maintenance.js';
import { createPseudonymizer } from './pseudonym.js';
import { RateLimiter } from './rate-limiter.js';
import { SocialAuthService } from './social-auth.js';
import { StatisticsService } from './statistics.js';
import { TokenService } from './tokens.js';
import { WorkEventService } from './work-events.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
  /** Where services log (the app passes its pino logger); the console when omitted (CLI). */
  logger?: Logger;
}

export function createServices({ config, database, clock, logger = consoleLogger }: ServiceDeps) {
  const rateLimiter = new RateLimiter(new RateLimitRepository(database), clock);
  const users = new UserRepository(database.db);
  const tokens = new TokenService(config.secretKey, clock, config.originalSecretKey);
  const verifications = new EmailVerificationRepository(database.db);
  const accounts = new AccountService({
    config,
    clock,
    logger,
    users,
    verifications,
    personalData: new PersonalDataRepository(database.db),
  });
  const auth = new AuthService({
    config,
    clock,
    rateLimiter,
    tokens,
    users,
    mailer: createMailer(config, logger),
    codes: new VerificationCodeRepository(database.db),
    verifications,
    accounts,
  });
  const finalizedWeekRepository = new FinalizedWeekRepository(database.db);
  const finalizedWeeks = new FinalizedWeekService({ config, clock, weeks: finalizedWeekRepository });
  const workEvents = new WorkEventService({
    config,
    clock,
    events: new WorkEventRepository(database.db),
    finalizedWeeks: finalizedWeekRepository,
  });
  const socialAuth = new SocialAuthService({
    config,
    clock,
    rateLimiter,
    tokens,
    accounts,
    identities: new SocialIdentityRepository(database.db),
    logger,
  });
  const statistics = new StatisticsService(
    new StatisticsRepository(database.db),
    new PrivacyLedgerRepository(database.db),
    config,
    clock,
  );
  // The original backend's published statistics, imported and frozen (npm run import:original).
  const importedStatistics = new ImportedStatisticsService(new ImportedStatisticsRepository(database.db));
  const aggregation = new AggregationService({
    config,
    database,
    clock,
    logger,
    onPublished: () => statistics.invalidate(),
  });
  const feedback = new FeedbackService(
    new FeedbackRepository(database.db),
    clock,
    createPseudonymizer(config.secretKey, 'feedback'),
    config.feedbackRetentionDays,
  );
  const recentSubmissionsPseudonym = createPseudonymizer(config.secretKey, 'recent-submissions');
  const adminDashboard = new AdminDashboard(new AdminStatsRepository(database.db), clock, recentSubmissionsPseudonym, config.timezone, aggregation);

  // Run once a day by the scheduler plugin (AGGREGATION_CRON) or `npm run maintenance`; add further daily jobs here.
  const maintenance = new DailyMaintenance(logger);
  maintenance.register('aggregation', async ({ trigger }) => {
    const report = await aggregation.run({ trigger });
    // The run is recorded either way; a failed one must also fail the job (and `npm run maintenance`).
    if (report.status === 'failed') throw new Error(report.error ?? report.message);
    return report;
  });
  maintenance.register('rate-limit purge', () => rateLimiter.purgeExpired());
  maintenance.register('expired login codes purge', () => auth.purgeExpiredCodes());
  maintenance.register('expired e-mail verifications purge', () => auth.purgeExpiredVerifications());
  maintenance.register('feedback retention purge', () => feedback.purgeExpired());

  return { rateLimiter, tokens, auth, accounts, socialAuth, workEvents, finalizedWeeks, statistics, importedStatistics, aggregation, feedback, adminDashboard, maintenance };
}

export type Services = ReturnType<typeof createServices>;
