/**
 * One server process: migrates, listens, and shuts down gracefully on SIGTERM/SIGINT or when the primary
 * asks (stop accepting connections, finish requests in flight, close the database, exit 0). It is the whole
 * server when it runs alone, or one of the workers src/server.ts forks.
 */
import { sql } from 'kysely';
import { buildApp } from '../app.js';
import { exitWithError } from '../cli/common.js';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { developmentSummary } from './development-summary.js';
import { isShutdownMessage } from './ipc.js';
import { currentRole } from './role.js';

const SHUTDOWN_DEADLINE_MS = 9_000;
/**
 * Connections the kernel may hold before the process accepts them. Node's default, 511, drops the SYNs of a
 * burst of new connections (a thousand phones at once), which then wait 1-3 s to retry; Linux caps it at
 * net.core.somaxconn (4096 on current kernels).
 */
const LISTEN_BACKLOG = 4096;

export async function serve(config: Config): Promise<void> {
  const role = currentRole();
  const database = openDatabase(config.database);

  if (config.migrateOnStart) {
    try {
      // Workers starting together are safe: migrations run under a lock (docs/deployment.md §4).
      await migrateToLatest(database.db);
    } catch (error) {
      await database.destroy();
      exitWithError('Database migration failed', error);
    }
  }

  const app = await buildApp({ config, database, role });
  app.addHook('onClose', async () => database.destroy());
  if (role.slot === 1) await warnAboutConnections(app.log, config, database);

  let shuttingDown = false;
  // Responses sent while shutting down close their connection, so keep-alive clients do not hold it open.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });
  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const deadline = setTimeout(() => {
      app.log.error('shutdown deadline passed; exiting with requests still open');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    // Connections that turn idle after finishing their last request are closed as soon as they do.
    const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
    reaper.unref();
    try {
      await app.close();
      app.log.info('shutdown complete');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  }
  // A worker gets the signal from the primary as a message. The same signal often arrives twice or more (a
  // terminal's Ctrl-C and systemd reach every process of the group, and scripts/run.mjs passes it on too):
  // `on`, not `once`, so that a repeat does not kill the process with its requests in flight.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
  process.on('message', (message) => {
    if (isShutdownMessage(message)) void shutdown('SIGTERM');
  });

  try {
    const url = await app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
    // Production and test logs stay JSON lines only; with several workers the first one prints it.
    if (config.nodeEnv === 'development' && role.slot === 1) process.stdout.write(developmentSummary(config, url));
  } catch (error) {
    await app.close().catch(() => {});
    exitWithError(`Cannot listen on ${config.host}:${config.port}`, error);
  }
}

/** Connections PostgreSQL keeps for others: `npm run maintenance` and other CLI jobs, psql, backups. */
const RESERVED_CONNECTIONS = 10;

/**
 * Says so at start when this machine's workers alone could open more connections than PostgreSQL allows:
 * under load the last pools would then fail to connect (503) instead of waiting.
 */
async function warnAboutConnections(log: { warn(fields: object, msg: string): void }, config: Config, database: Database): Promise<void> {
  if (config.database.dialect !== 'postgres') return;
  try {
    const { rows } = await sql<{ max_connections: string }>`show max_connections`.execute(database.db);
    const allowed = Number(rows[0]?.max_connections);
    const wanted = config.webConcurrency * config.database.poolMax;
    if (wanted + RESERVED_CONNECTIONS > allowed) {
      log.warn(
        { web_concurrency: config.webConcurrency, database_pool_max: config.database.poolMax, max_connections: allowed },
        `WEB_CONCURRENCY × DATABASE_POOL_MAX = ${wanted} connections, too many for PostgreSQL's max_connections ` +
          `(${allowed}, of which ${RESERVED_CONNECTIONS} are best left for other clients): lower DATABASE_POOL_MAX or raise max_connections`,
      );
    }
  } catch {
    // Not worth failing the start for: the pool's own errors will say more.
  }
}
