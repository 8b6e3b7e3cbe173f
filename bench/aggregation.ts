/**
 * Aggregation benchmark: one month of 100,000 doctors × 30 days (3 million work events) on PostgreSQL, the
 * issue's target being under 10 seconds with bounded memory. Seeds a fresh database with set-based SQL,
 * times `aggregation.run()` and drops the database again.
 *
 *   npm run bench:aggregation                 # BENCH_DATABASE_URL (or TEST_DATABASE_URL) names the server
 *   BENCH_USERS=20000 npm run bench:aggregation
 *
 * `benchAggregation()` is exported for `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import { PROFESSION_CODES, SPECIALTY_KEYS } from '../src/services/taxonomy.js';
import { openDatabase } from '../src/db/index.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createServices } from '../src/services/index.js';
import { adminQuery } from '../test/helpers/database.js';

export interface AggregationBenchOptions {
  /** Any database on the PostgreSQL server to use; the benchmark creates and drops its own database there. */
  serverUrl?: string;
  users?: number;
  days?: number;
  log?: (line: string) => void;
}

export interface AggregationBenchResult {
  users: number;
  events: number;
  seedSeconds: number;
  aggregationSeconds: number;
  cellsPublished: number;
  cellsSuppressed: number;
  usersCounted: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  maxRssMb: number;
}

const STATES = ['BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV', 'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH'];
const PERIOD = '2026-01';
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

export async function benchAggregation(options: AggregationBenchOptions = {}): Promise<AggregationBenchResult> {
  const serverUrl =
    options.serverUrl ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const users = options.users ?? 100_000;
  const days = options.days ?? 30;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  const name = `owh_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'owh-bench-')),
    DATABASE_URL: url.toString(),
    AGGREGATION_CRON: 'off',
    SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789',
    EMAIL_HASH_SECRET: 'bench-email-hash-secret-0123456789abcdef01',
  });
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);

    log(`seeding ${users.toLocaleString('en')} doctors × ${days} days into ${name} ...`);
    const seedStarted = performance.now();
    await seed(url.toString(), users, days, config);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const events = Number(
      (await sql<{ n: string }>`select count(*) as n from work_events`.execute(database.db)).rows[0]!.n,
    );
    log(`seeded ${events.toLocaleString('en')} work events in ${seedSeconds.toFixed(1)} s`);

    // Mid-February: January is closed (last day + 7 grace days have passed).
    const clock = { now: () => new Date('2026-02-15T03:00:00Z') };
    const services = createServices({ config, database, clock });
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const report = await services.aggregation.run({ trigger: 'cli' });
    const aggregationSeconds = (performance.now() - started) / 1000;
    const rssAfter = process.memoryUsage().rss;
    if (report.status !== 'success' || !report.periods.includes(PERIOD)) throw new Error(`aggregation did not publish ${PERIOD}: ${report.message}`);

    const result: AggregationBenchResult = {
      users,
      events,
      seedSeconds,
      aggregationSeconds,
      cellsPublished: report.cells_published,
      cellsSuppressed: report.cells_suppressed,
      usersCounted: report.users_counted,
      rssBeforeMb: mb(rssBefore),
      rssAfterMb: mb(rssAfter),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    log(
      `aggregation of ${events.toLocaleString('en')} events: ${aggregationSeconds.toFixed(2)} s ` +
        `(target < 10 s) — ${result.cellsPublished} cells published, ${result.cellsSuppressed} suppressed, ` +
        `${result.usersCounted.toLocaleString('en')} doctors counted; RSS ${result.rssBeforeMb} → ${result.rssAfterMb} MB ` +
        `(process peak ${result.maxRssMb} MB)`,
    );
    return result;
  } finally {
    await database.destroy();
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * Doctors spread over 16 states × 20 common specialties (about 300 per cell), plus 5% in rare specialties
 * whose cells stay below k; every doctor reports every day of January. Straight into the tables with
 * generate_series on one session without the pool's statement timeout; the work-event indexes are dropped
 * for the load and rebuilt afterwards exactly as the migration defines them (a bulk build is far faster).
 */
async function seed(url: string, users: number, days: number, config: Config): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`set statement_timeout = 0; set synchronous_commit = off; set maintenance_work_mem = '256MB'`);
    // Registered people spread over the public domain of cells (state × department group × profession), with
    // consent to the versions in force, so that every one of them counts.
    await client.query(
      `insert into users (id, email_hash, hospital_id, specialty, department_group, profession, role_level, state_code, created_at,
                          terms_accepted_version, privacy_accepted_version, consent_accepted_at, is_demo)
       select gen_random_uuid(), 'bench-' || i, 'hospital-' || (i % 500),
              ($2::text[])[1 + (i / 16) % ${SPECIALTY_KEYS.length}], ($2::text[])[1 + (i / 16) % ${SPECIALTY_KEYS.length}],
              ($4::text[])[1 + (i / 7) % 3], 'assistant', ($3::text[])[1 + i % 16], now(), $5, $6, now(), false
       from generate_series(1, $1::int) as i`,
      [users, [...SPECIALTY_KEYS], STATES, [...PROFESSION_CODES], config.currentTermsVersion, config.currentPrivacyVersion],
    );
    await client.query(`alter table work_events drop constraint work_events_pkey;
                        alter table work_events drop constraint work_events_user_id_date_key;
                        drop index work_events_date_idx`);
    await client.query(
      `insert into work_events (id, user_id, date, planned_minutes, actual_minutes, created_at)
       select gen_random_uuid(), u.id, d::date, 480, 360 + floor(random() * 360)::int, now()
       from users u cross join generate_series(date '2026-01-01', date '2026-01-01' + ($1::int - 1), interval '1 day') as d`,
      [days],
    );
    await client.query(`alter table work_events add constraint work_events_pkey primary key (id);
                        alter table work_events add constraint work_events_user_id_date_key unique (user_id, date);
                        create index work_events_date_idx on work_events (date);
                        analyze`);
  } finally {
    await client.end();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const users = process.env.BENCH_USERS ? Number(process.env.BENCH_USERS) : undefined;
  benchAggregation({ users }).then(
    (result) => {
      if (result.aggregationSeconds >= 10) process.exitCode = 1;
    },
    (error: unknown) => {
      process.stderr.write(`Benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
