/**
 * The service container: every piece of domain logic, wired once per app from the configuration, the
 * database and the clock. Routes reach it as `app.services`; tests and the CLI build it the same way.
 */
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { PersonalDataRepository } from '../db/repositories/personal-data.js';
import { RateLimitRepository } from '../db/repositories/rate-limits.js';
import { UserRepository } from '../db/repositories/users.js';
import { VerificationCodeRepository } from '../db/repositories/verification-codes.js';
import { WorkEventRepository } from '../db/repositories/work-events.js';
import { AccountService } from './accounts.js';
import { AuthService } from './auth.js';
import type { Clock } from './clock.js';
import { createMailer, type Logger } from './mailer.js';
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

const consoleLogger: Logger = {
  info: (object, message) => console.log(message, object),
  warn: (object, message) => console.warn(message, object),
};

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
  const accounts = new AccountService({ config, clock, users, personalData: new PersonalDataRepository(database.db) });
  const workEvents = new WorkEventService({ config, clock, events: new WorkEventRepository(database.db) });
  return { rateLimiter, tokens, auth, accounts, workEvents };
}

export type Services = ReturnType<typeof createServices>;
