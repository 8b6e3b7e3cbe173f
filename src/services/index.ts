/**
 * The service container: every piece of domain logic, wired once per app from the configuration, the
 * database and the clock. Routes reach it as `app.services`; tests and the CLI build it the same way.
 */
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { RateLimitRepository } from '../db/repositories/rate-limits.js';
import type { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
}

export function createServices({ database, clock }: ServiceDeps) {
  const rateLimiter = new RateLimiter(new RateLimitRepository(database.db), clock);
  return { rateLimiter };
}

export type Services = ReturnType<typeof createServices>;
