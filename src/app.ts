/**
 * Builds the Fastify application without listening, so that tests drive it through `app.inject()` and
 * `server.ts` (or a benchmark) decides where it listens.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/index.js';
import { installAdminAuth } from './plugins/admin-auth.js';
import { installAuth } from './plugins/auth.js';
import { installDocs } from './plugins/docs.js';
import { frameworkErrorHandler, installErrorHandling } from './plugins/errors.js';
import { installMetrics } from './plugins/metrics.js';
import { installScheduler } from './plugins/scheduler.js';
import { installSecurity, securityHeaders } from './plugins/security.js';
import { DEFAULT_BODY_LIMIT, installValidation } from './plugins/validation.js';
import adminRoutes from './routes/admin.js';
import appSocialRoutes from './routes/app-social.js';
import feedbackRoutes from './routes/feedback.js';
import finalizedWeekRoutes from './routes/finalized-weeks.js';
import authRoutes from './routes/auth.js';
import appAuthRoutes from './routes/app-auth.js';
import healthRoutes from './routes/health.js';
import taxonomyRoutes from './routes/taxonomy.js';
import workEventRoutes from './routes/work-events.js';
import publicPageRoutes from './routes/public-page.js';
import statsRoutes from './routes/stats.js';
import originalStatsRoutes from './routes/stats-original.js';
import { systemClock, type Clock } from './services/clock.js';
import { createServices } from './services/index.js';
import { LogBuffer, type LogDestination } from './services/log-buffer.js';
import { OverloadGate } from './plugins/overload.js';
import type { ProcessRole } from './process/role.js';
import './types.js';

export interface AppOptions {
  config: Config;
  /** An open database; when omitted the app opens one from `config` and closes it with the app. */
  database?: Database;
  clock?: Clock;
  /** Fastify logger options; defaults to JSON logs at `config.logLevel`. */
  logger?: FastifyServerOptions['logger'];
  /** Where the JSON log lines go besides the admin log buffer; defaults to stdout. */
  logDestination?: LogDestination;
  /** Which worker this app serves in (src/process/role.ts); a single process by default. */
  role?: ProcessRole;
}

export function loggerOptions(config: Config) {
  return {
    level: config.logLevel,
    // Tokens, cookies and admin passwords travel in headers; bodies (e-mail, codes) are never logged.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-password"]'],
  };
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  // Every line the logger writes (already redacted) goes to stdout for operators and into the buffer that
  // the admin log viewer reads.
  const logBuffer = new LogBuffer();
  const database = options.database ?? openDatabase(config.database);
  // Refuses requests while overloaded before Fastify sees them (src/plugins/overload.ts).
  const overload = new OverloadGate(config, database.pool);
  const app = Fastify({
    logger: options.logger ?? { ...loggerOptions(config), stream: logBuffer.tee(options.logDestination ?? process.stdout) },
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Idle keep-alive connections are closed on shutdown; requests in flight are finished first.
    forceCloseConnections: 'idle',
    // Requests that still arrive on an open keep-alive connection while shutting down are served (the
    // database closes only after the last one); their answer closes the connection.
    return503OnClosing: false,
    requestTimeout: 30_000,
    frameworkErrors: frameworkErrorHandler(securityHeaders(config)),
    serverFactory: overload.serverFactory,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  app.decorate('database', database);
  const clock = options.clock ?? systemClock;
  app.decorate('clock', clock);
  app.decorate('services', createServices({ config, database, clock, logger: app.log }));
  app.decorate('logBuffer', logBuffer);
  app.decorate('role', options.role ?? { slot: 1, workers: 1, runsSchedule: true });
  if (!options.database) app.addHook('onClose', async () => database.destroy());

  overload.install(app);
  installValidation(app);
  installErrorHandling(app);
  await installSecurity(app, config);
  await installDocs(app, config);
  installAdminAuth(app);
  if (config.metricsEnabled) await installMetrics(app, { onRequest: app.adminAuth });

  installAuth(app);
  // The demo account exists before the first request; an upsert, so processes starting together are safe.
  if (config.demo) app.addHook('onReady', async () => void (await app.services.auth.ensureDemoUser()));

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(appAuthRoutes);
  await app.register(appSocialRoutes);
  await app.register(taxonomyRoutes);
  await app.register(workEventRoutes);
  await app.register(finalizedWeekRoutes);
  await app.register(feedbackRoutes);
  await app.register(adminRoutes, { prefix: '/admin' });
  await app.register(statsRoutes);
  await app.register(originalStatsRoutes);
  await app.register(publicPageRoutes);

  installScheduler(app);

  return app;
}
