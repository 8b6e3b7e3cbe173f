/** A fresh database for one benchmark run: a new PostgreSQL database (dropped afterwards) or a temp SQLite file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { adminQuery } from '../test/helpers/database.js';

export interface BenchDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createBenchDatabase(dialect: 'sqlite' | 'postgres'): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'owh-bench-'));
    return { dialect, url: `sqlite:${path.join(dir, 'owh.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `owh_bench_${Date.now()}`;
  await adminQuery(BENCH_DATABASE_URL, `CREATE DATABASE ${name}`);
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  return { dialect, url: url.toString(), drop: () => adminQuery(BENCH_DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
