/**
 * Prometheus metrics at GET /metrics: request counts and latencies by route and status, event-loop lag and
 * other process metrics, database pool usage, requests refused for overload, and the aggregation runs.
 * Each app has its own registry, so several apps in one process (tests) do not collide. With several
 * worker processes, whichever worker is asked returns the metrics of all of them, combined by the primary
 * (prom-client's cluster support: counters and pool gauges summed, the aggregation runs, which every
 * worker reads from the database, taken once).
 */
import cluster from 'node:cluster';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import client from 'prom-client';
import { askPrimary } from '../process/ipc.js';
import { quietLogLevel } from './log-level.js';

export interface MetricsOptions {
  /** Guards the endpoint (the admin credentials), before anything else runs. */
  onRequest: onRequestHookHandler;
}

export async function installMetrics(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const pool = app.database.pool;
  if (pool) {
    const gauge = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    gauge('db_pool_connections', 'Open PostgreSQL connections in this process', () => pool.totalCount);
    gauge('db_pool_idle_connections', 'Idle PostgreSQL connections in this process', () => pool.idleCount);
    gauge('db_pool_waiting_requests', 'Queries waiting for a free PostgreSQL connection', () => pool.waitingCount);
  }
  const shedCounts = app.overload.shed;
  new client.Counter({
    name: 'http_requests_shed_total',
    help: 'Requests refused with 503 because the process was overloaded, by the bound that was passed',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(shedCounts())) this.inc({ reason }, count);
    },
  });
  new client.Gauge({
    name: 'http_requests_in_flight',
    help: 'Requests admitted and not yet answered',
    registers: [registry],
    collect() {
      this.set(app.overload.inFlight());
    },
  });

  // Read from the database at scrape time, so every instance reports the runs of all of them. Every worker
  // reads the same rows, so the workers' values are combined with max, not summed.
  const runSummary = () => app.services.aggregation.runSummary();
  new client.Gauge({
    name: 'aggregation_runs',
    help: 'Statistics aggregation runs recorded, by outcome (success, failed, skipped)',
    labelNames: ['status'] as const,
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const { status, runs } of await runSummary()) this.set({ status }, runs);
    },
  });
  new client.Gauge({
    name: 'aggregation_last_finished_timestamp_seconds',
    help: 'When the latest aggregation run with this outcome finished (Unix time)',
    labelNames: ['status'] as const,
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const { status, last_finished_at } of await runSummary()) {
        if (last_finished_at) this.set({ status }, new Date(last_finished_at).getTime() / 1000);
      }
    },
  });

  if (cluster.isWorker) {
    // Answers the primary's requests for this worker's metrics (the listener comes with the constructor).
    new client.AggregatorRegistry();
    client.AggregatorRegistry.setRegistries([registry]);
  }

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL, so that ids do not explode the label space.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      onRequest: options.onRequest,
      schema: { hide: true },
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
      return cluster.isWorker ? askPrimary('metrics') : registry.metrics();
    },
  );
}
