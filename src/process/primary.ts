/**
 * The primary of the worker processes (`WEB_CONCURRENCY`): forks them with the V8 memory flags, replaces a
 * worker that crashes after it started serving, answers the workers' questions (the metrics of all of
 * them), and on SIGTERM/SIGINT asks every worker to finish its requests in flight and exits 0 once all
 * have exited 0. It serves no request and opens no database itself. Worker processes share the listening
 * port through node:cluster; a worker whose primary dies exits at once (node:cluster does that).
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import type { Config } from '../config.js';
import { answerWorkers, shutdownMessage } from './ipc.js';
import { missingMemoryFlags } from './memory.js';
import { workerEnvironment } from './role.js';

/** Each worker gives up after 9 s (src/process/worker.ts); the primary waits a little longer. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/** More crashes than this within the window means something is wrong that restarting will not fix. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** A crashed worker is replaced after this pause, so that a crash loop does not spin. */
const RESTART_DELAY_MS = 500;

const LEVELS = { info: 30, warn: 40, error: 50 } as const;
const CONFIGURED_LEVEL: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function runPrimary(config: Config): void {
  const total = config.webConcurrency;
  const threshold = CONFIGURED_LEVEL[config.logLevel] ?? LEVELS.info;
  // One JSON line in the workers' (pino's) format, so the log stays one stream of JSON lines.
  const log = (level: keyof typeof LEVELS, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < threshold) return;
    const line = { level: LEVELS[level], time: Date.now(), pid: process.pid, hostname: os.hostname(), role: 'primary', ...fields, msg };
    process.stdout.write(JSON.stringify(line) + '\n');
  };

  // One worker accepts its connections itself. Several take turns (round robin): the primary accepts and
  // hands each connection to the next worker, waiting for that worker's event loop to take it, which is
  // even but slow for bursts of new connections while workers are saturated (docs/performance.md).
  cluster.schedulingPolicy = total === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...missingMemoryFlags()] });
  answerWorkers({ metrics: clusterMetrics });

  const listening = new WeakSet<Worker>();
  let serving = 0;
  const restarts: number[] = [];
  let shuttingDown = false;
  let exitCode = 0;

  const fork = (slot: number) => {
    const worker = cluster.fork(workerEnvironment(slot, total));
    worker.once('listening', () => {
      listening.add(worker);
      // Said once, when the last of the first workers is ready: from then on every worker serves.
      if (++serving === total) log('info', `all ${total} worker(s) serving`, { workers: total });
    });
    worker.once('exit', (code, signal) => onExit(slot, worker, code, signal));
  };

  const onExit = (slot: number, worker: Worker, code: number | null, signal: string | null) => {
    if (shuttingDown) {
      if (code !== 0) exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!listening.has(worker)) {
      // It failed to start (its own error is already on stderr): the others would fail alike.
      process.stderr.write(`Worker ${slot} of ${total} exited with ${how} before it was serving; stopping\n`);
      stop(1);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > MAX_RESTARTS) {
      log('error', `worker ${slot} exited with ${how}; ${restarts.length} crashes within a minute, giving up`, { worker: slot });
      stop(1);
      return;
    }
    log('error', `worker ${slot} exited with ${how}; starting a new one`, { worker: slot });
    setTimeout(() => shuttingDown || fork(slot), RESTART_DELAY_MS);
  };

  const stop = (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    exitCode = code;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(exitCode);
    for (const worker of workers) {
      // A worker still starting has nothing in flight and may not listen for the message yet.
      if (!listening.has(worker)) worker.process.kill('SIGTERM');
      else if (worker.isConnected()) worker.send(shutdownMessage);
    }
    setTimeout(() => {
      log('error', 'shutdown deadline passed; stopping the workers still running');
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (!shuttingDown) log('info', `${signal}: asking ${total} worker(s) to finish their requests in flight`, { signal });
      stop(0);
    });
  }

  log('info', `starting ${total} worker process(es)`, { workers: total, added_memory_flags: missingMemoryFlags() });
  for (let slot = 1; slot <= total; slot++) fork(slot);
}

/** Every worker's metrics, summed or otherwise combined as each metric declares (prom-client's cluster support). */
async function clusterMetrics(): Promise<string> {
  const { AggregatorRegistry } = await import('prom-client');
  return new AggregatorRegistry().clusterMetrics();
}
