/** What the app decorates the Fastify instance with; available to every route as `app.<name>`. */
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import type { User } from './db/schema.js';
import type { AdminAuthHook } from './plugins/admin-auth.js';
import type { AuthHooks } from './plugins/auth.js';
import type { OverloadProtection } from './plugins/overload.js';
import type { Scheduler } from './plugins/scheduler.js';
import type { ProcessRole } from './process/role.js';
import type { Clock } from './services/clock.js';
import type { Services } from './services/index.js';
import type { LogBuffer } from './services/log-buffer.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    clock: Clock;
    services: Services;
    /** HTTP Basic auth for operator endpoints; use as `onRequest` or `preHandler` hook. */
    adminAuth: AdminAuthHook;
    /** This process's most recent log records, for `GET /admin/logs`. */
    logBuffer: LogBuffer;
    /** preHandler hooks: `{ preHandler: app.auth.registered }` (see src/plugins/auth.ts). */
    auth: AuthHooks;
    /** The in-process daily maintenance schedule (AGGREGATION_CRON). */
    scheduler: Scheduler;
    /** Which worker process this is (slot 1 of 1 when not clustered). */
    role: ProcessRole;
    /** Admission control: requests refused with 503 while overloaded (src/plugins/overload.ts). */
    overload: OverloadProtection;
  }
  interface FastifyRequest {
    /** The signed-in user, set by the `app.auth` hooks; null on routes without authentication. */
    user: User | null;
  }
}
