/**
 * Starts the compiled production server for a benchmark the way an operator does, by one of the documented
 * start paths, and watches its processes' memory.
 *
 * - `node dist/server.js` (also what the Docker image runs): a primary and `WEB_CONCURRENCY` workers,
 *   which it starts with the V8 memory flags (src/process/memory.ts).
 * - `npm start` with NODE_ENV=production: npm, sh, scripts/run.mjs and the server, which gets the flags
 *   through NODE_OPTIONS; with one worker it serves in its own process.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../test/helpers/net.js';
import { memoryNow, peakNow, type MemoryReading } from './processes.js';

export type StartPath = 'node dist/server.js' | 'npm start';
export const START_PATHS: StartPath[] = ['node dist/server.js', 'npm start'];

export const BENCH_ENV = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789abcdef',
  EMAIL_HASH_SECRET: 'bench-email-hash-secret-0123456789abcdef01234',
  ADMIN_PASSWORD: 'bench-admin-password',
  // The benchmark signs in with tokens it makes itself: no e-mail.
  EMAIL__DISABLED: 'true',
  AGGREGATION_CRON: 'off',
  // The production default pool size; the benchmark showed 10 connections ahead of 5, 20 and 40.
  DATABASE_POOL_MAX: '10',
};

export interface BenchServer {
  url: string;
  /** The process the benchmark started (npm, or node for dist/server.js); the server's tree hangs below it. */
  pid: number;
  path: StartPath;
  workers: number;
  env: Record<string, string>;
  memory(): MemoryReading;
  peak(): ReturnType<typeof peakNow>;
  stop(): Promise<{ code: number | null }>;
}

/** One GET on a connection of its own, so that node:cluster hands each to the next worker. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', () => resolve({ status: 0, body: '' }));
  });
}

export async function startBenchServer(
  root: string,
  databaseUrl: string,
  options: { path: StartPath; workers: number; env?: Record<string, string>; nodeArgs?: string[] },
): Promise<BenchServer> {
  const port = await freePort();
  // SHED_*, DATABASE_POOL_MAX and NODE_OPTIONS set for `npm run bench` reach the server, to try other settings.
  const tuning = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(SHED_|DATABASE_POOL_MAX$|NODE_OPTIONS$)/.test(name))) as Record<string, string>;
  const env = { ...BENCH_ENV, ...tuning, DATABASE_URL: databaseUrl, PORT: String(port), WEB_CONCURRENCY: String(options.workers), ...options.env };
  const [command, args] =
    options.path === 'npm start'
      ? ['npm', ['start', '--silent']]
      : [process.execPath, [...(options.nodeArgs ?? []), path.join(root, 'dist/server.js')]];
  // A process group of its own, stopped as a whole, as a terminal or systemd stops a service: npm does not
  // pass SIGTERM on through `sh -c` to the server.
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null }>((resolve) => child.on('close', (code) => resolve({ code })));
  const url = `http://127.0.0.1:${port}`;
  // Ready when every worker answers: node:cluster hands connections only to workers that listen, so
  // fresh connections reach all of them once all are listening; the admin log endpoint says which answered.
  const admin = { authorization: `Basic ${Buffer.from(`admin:${BENCH_ENV.ADMIN_PASSWORD}`).toString('base64')}` };
  const seen = new Set<number>();
  const deadline = Date.now() + 60_000;
  while (seen.size < options.workers && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    const res = await get(`${url}/admin/logs?limit=1`, admin);
    if (res.status === 200) seen.add((JSON.parse(res.body) as { worker: { slot: number } }).worker.slot);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (seen.size < options.workers) {
    process.kill(-child.pid!, 'SIGKILL');
    throw new Error(`server did not become ready (${seen.size} of ${options.workers} workers): ${output}`);
  }
  return {
    url,
    pid: child.pid!,
    path: options.path,
    workers: options.workers,
    env,
    memory: () => memoryNow(child.pid!),
    peak: () => peakNow(child.pid!),
    async stop() {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      return exited;
    },
  };
}
