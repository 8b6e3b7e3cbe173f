/**
 * Builds the Fastify application without listening, so that tests drive it through `app.inject()` and
 * `server.ts` (or a benchmark) decides where it listens.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/index.js';
import { installDocs } from './plugins/docs.js';
import { installErrorHandling } from './plugins/errors.js';
import { installScheduler } from './plugins/scheduler.js';
import { installSecurity } from './plugins/security.js';
import { installValidation } from './plugins/validation.js';
import healthRoutes from './routes/health.js';
import publicPageRoutes from './routes/public-page.js';
import statsRoutes from './routes/stats.js';
import { systemClock, type Clock } from './services/clock.js';
import { createServices } from './services/index.js';
import './types.js';

export interface AppOptions {
  config: Config;
  /** An open database; when omitted the app opens one from `config` and closes it with the app. */
  database?: Database;
  clock?: Clock;
  /** Fastify logger options; defaults to JSON logs at `config.logLevel`. */
  logger?: FastifyServerOptions['logger'];
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
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    // Idle keep-alive connections are closed on shutdown; requests in flight are finished first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestTimeout: 30_000,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const database = options.database ?? openDatabase(config.database);
  app.decorate('config', config);
  app.decorate('database', database);
  const clock = options.clock ?? systemClock;
  app.decorate('clock', clock);
  app.decorate('services', createServices({ config, database, clock, logger: app.log }));
  if (!options.database) app.addHook('onClose', async () => database.destroy());

  installValidation(app);
  installErrorHandling(app);
  await installSecurity(app, config);
  await installDocs(app, config);

  await app.register(healthRoutes);
  await app.register(statsRoutes);
  await app.register(publicPageRoutes);

  installScheduler(app);

  return app;
}
