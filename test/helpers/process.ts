/** Runs the service's real entry points as child processes, the way an operator or CI starts them. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = import.meta.resolve('tsx');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point (e.g. `src/cli/migrate.ts`) to completion. */
export function runScript(script: string, env: Record<string, string>, args: string[] = []): Promise<Finished> {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return finished(child);
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn until the first 200 from /healthz. */
  startupMs: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<Finished>;
}

/**
 * Starts `src/server.ts` (or the built `dist/server.js`) on a free port and waits until /healthz answers 200.
 */
export async function startServer(
  env: Record<string, string>,
  options: { entry?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<RunningServer> {
  const entry = options.entry ?? path.join(ROOT, 'src/server.ts');
  const nodeArgs = entry.endsWith('.ts') ? ['--import', TSX, entry] : [entry];
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = finishedAfterStart(child, () => ({ stdout, stderr }));

  const deadline = started + (options.timeoutMs ?? 15_000);
  let url: string | null = null;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}${stdout}`);
    url ??= /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] ?? null;
    if (url) {
      const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
      if (ok) break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`server did not start: ${stderr}${stdout}`);
  }
  const startupMs = performance.now() - started;
  return {
    child,
    url,
    startupMs,
    output: () => stdout + stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

function finishedAfterStart(child: ChildProcess, read: () => { stdout: string; stderr: string }): Promise<Finished> {
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ...read() })));
}
