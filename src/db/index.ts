/**
 * Opens the database named by the configuration. Everything above this file is dialect-agnostic: the same
 * Kysely queries run on SQLite (development, tests) and PostgreSQL (production).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { DB } from './schema.js';
import { prepareStatements } from './prepared-statements.js';
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.js';

export type Dialect = DatabaseConfig['dialect'];

export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** The PostgreSQL pool, for metrics; null on SQLite. */
  readonly pool: pg.Pool | null;
  /** Runs a trivial query; rejects when the database cannot be reached. */
  ping(): Promise<void>;
  destroy(): Promise<void>;
}

const PG_TIMESTAMPTZ = 1184;
const PG_TIMESTAMP = 1114;
const PG_DATE = 1082;
const PG_INT8 = 20;

/**
 * Per-pool type parsers (no global mutation of `pg.types`): timestamps come back as ISO strings and dates
 * as `YYYY-MM-DD`, which is exactly what SQLite stores, so rows look the same on both databases.
 * COUNT(*) and other int8 results become numbers; our counts are far below 2^53.
 */
function pgTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === PG_TIMESTAMPTZ) return timestamptzToIso;
  if (oid === PG_TIMESTAMP) {
    const parseDate = pg.types.getTypeParser(oid) as (value: string) => Date;
    return (value) => parseDate(value).toISOString();
  }
  if (oid === PG_DATE) return (value) => value;
  if (oid === PG_INT8) return (value) => Number(value);
  return pg.types.getTypeParser(oid, format as 'text');
}

/** `2026-11-27 12:34:56.789012+00`, as PostgreSQL prints timestamptz in a session whose TimeZone is UTC. */
const PG_UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;
const parsePgTimestamptz = pg.types.getTypeParser(PG_TIMESTAMPTZ) as (value: string) => Date;

/**
 * Rewrites PostgreSQL's UTC text form into ISO-8601 with milliseconds (truncated, as Date would) by string
 * surgery: every listed row carries timestamps, and building a Date per value cost about a tenth of the
 * CPU time of GET /work-events. Anything unexpected takes the general parser.
 */
export function timestamptzToIso(value: string): string {
  const match = PG_UTC_TIMESTAMP.exec(value);
  if (!match) return parsePgTimestamptz(value).toISOString();
  return `${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
}

export function openDatabase(config: DatabaseConfig): Database {
  return config.dialect === 'postgres' ? openPostgres(config.url, config.poolMax) : openSqlite(config.path);
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const connection = new SQLite(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  // Wait for a lock held by another process (e.g. `npm run aggregate` next to the server) instead of failing.
  connection.pragma('busy_timeout = 5000');
  connection.pragma('synchronous = NORMAL');
  const db = new Kysely<DB>({
    dialect: new SqliteDialect({ database: connection }),
    plugins: [new SqliteBooleanPlugin()],
  });
  return {
    db,
    dialect: 'sqlite',
    pool: null,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async destroy() {
      await db.destroy();
    },
  };
}

function openPostgres(url: string, poolMax: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    // Fail fast while the database is down: requests answer 503 instead of hanging.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    // Timestamps print in UTC, which timestamptzToIso turns into ISO strings cheaply.
    options: '-c TimeZone=UTC',
    types: { getTypeParser: pgTypeParser } as pg.CustomTypesConfig,
  });
  // An idle client that loses its connection (database restart) emits 'error' on the pool; without a
  // listener that would crash the process. The pool replaces the client on the next checkout.
  pool.on('error', () => {});
  // A client in use can lose its connection too (the server crashed or terminated the backend) while no
  // query of it is running, e.g. between two statements of a transaction. It then emits 'error' on itself,
  // which would also crash the process. Its next query fails (answered 503) and the pool discards it.
  pool.on('connect', (client) => client.on('error', () => {}));
  prepareStatements(pool);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    pool,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async destroy() {
      await db.destroy();
    },
  };
}
