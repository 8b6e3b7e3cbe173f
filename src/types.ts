/** What the app decorates the Fastify instance with; available to every route as `app.<name>`. */
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import type { Scheduler } from './plugins/scheduler.js';
import type { Clock } from './services/clock.js';
import type { Services } from './services/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    clock: Clock;
    services: Services;
    scheduler: Scheduler;
  }
}
