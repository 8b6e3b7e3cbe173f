/**
 * A private PostgreSQL server for fault tests: its own data directory and port, so a test can stop, kill
 * and restart it without disturbing the shared server other tests use. Needs the PostgreSQL server
 * binaries (as on CI machines); `available()` tells whether they are there.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const execFileAsync = promisify(execFile);

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  const dir = version ? path.join(root, version, 'bin') : null;
  return dir && existsSync(path.join(dir, 'pg_ctl')) ? dir : null;
}

/** PostgreSQL refuses to run as root: run its tools as the `postgres` system user when we are root. */
function asPostgres(command: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', command, ...args] : [command, ...args];
}

/** Asynchronous, so that a test's traffic keeps flowing while the server stops or starts. */
async function run(command: string, args: string[]): Promise<void> {
  const [file, ...rest] = asPostgres(command, args);
  await execFileAsync(file!, rest);
}

export class PgCluster {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static available(): boolean {
    return binDir() !== null;
  }

  static async create(): Promise<PgCluster> {
    const bin = binDir();
    if (!bin) throw new Error('PostgreSQL server binaries not found');
    const dir = mkdtempSync(path.join(tmpdir(), 'owh-pg-'));
    chmodSync(dir, 0o777);
    const cluster = new PgCluster(bin, dir, await freePort());
    await run(path.join(bin, 'initdb'), ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
    await run(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-o', options, '-l', path.join(this.dir, 'log'), '-w', 'start']);
  }

  /** A fast shutdown: connected clients are disconnected, as in a restart for an upgrade. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await run(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async createDatabase(name: string): Promise<string> {
    await run(path.join(this.bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', name]);
    return this.url(name);
  }

  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
