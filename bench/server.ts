/** Starts the compiled production server for a benchmark and watches its memory. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/net.js';

/** The NODE_OPTIONS the production image sets (`ENV NODE_OPTIONS="..."` in the Dockerfile). */
export function dockerfileNodeOptions(root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')): string {
  const match = /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return match[1]!;
}

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
  // The same V8 memory settings as the Docker image, read from the Dockerfile so the two cannot drift.
  NODE_OPTIONS: dockerfileNodeOptions(),
};

export interface BenchServer {
  url: string;
  pid: number;
  env: Record<string, string>;
  rssMb(): number;
  peakRssMb(): number;
  stop(): Promise<{ code: number | null }>;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

export async function startBenchServer(
  root: string,
  databaseUrl: string,
  options: { env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<BenchServer> {
  const port = await freePort();
  const env = { ...BENCH_ENV, DATABASE_URL: databaseUrl, PORT: String(port), ...options.env };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(root, 'dist/server.js')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null }>((resolve) => child.on('close', (code) => resolve({ code })));
  const deadline = Date.now() + 30_000;
  let url: string | null = null;
  while (!url && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) url = `http://127.0.0.1:${port}`;
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`server did not become healthy: ${output}`);
  }
  return {
    url,
    pid: child.pid!,
    env,
    rssMb: () => statusField(child.pid!, 'VmRSS'),
    peakRssMb: () => statusField(child.pid!, 'VmHWM'),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
