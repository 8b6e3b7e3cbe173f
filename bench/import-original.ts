/**
 * Import benchmark: an original-backend database (schema and hashes from the contract, test/helpers/
 * original-backend.ts) with 100,000 users and 5 million weeks and days (25 finalized weeks and 25 work events
 * per user), imported into a fresh database of ours on the same PostgreSQL server. Prints the seed time, the
 * import time, rows per second and the peak memory of the importing process; drops both databases.
 *
 *   npm run bench:import                       # BENCH_DATABASE_URL (or TEST_DATABASE_URL) names the server
 *   BENCH_USERS=10000 npm run bench:import
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/index.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { OriginalImportRepository } from '../src/db/repositories/original-import.js';
import { OriginalSourceRepository } from '../src/db/repositories/original-source.js';
import { PersonalDataRepository } from '../src/db/repositories/personal-data.js';
import { UserRepository } from '../src/db/repositories/users.js';
import { systemClock } from '../src/services/clock.js';
import { OriginalImportService } from '../src/services/import-original.js';
import { adminQuery } from '../test/helpers/database.js';
import { createOriginalDatabase, originalHash } from '../test/helpers/original-backend.js';

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const PER_USER = 25;
const SECRET = randomBytes(32).toString('base64url');
const log = (line: string) => process.stdout.write(`${line}\n`);

const source = await createOriginalDatabase(serverUrl);
const targetName = `owh_bench_import_${randomBytes(6).toString('hex')}`;
await adminQuery(serverUrl, `CREATE DATABASE ${targetName}`);
const targetUrl = new URL(serverUrl);
targetUrl.pathname = `/${targetName}`;

try {
  let started = Date.now();
  // Users: e-mail hashes by the contract's formula (§3), profiles of the app's vocabulary; multi-row inserts.
  for (let offset = 0; offset < USERS; offset += 1000) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let i = offset; i < Math.min(USERS, offset + 1000); i++) {
      const p = values.length;
      rows.push(`($${p + 1}::uuid, $${p + 2}, 'not_specified', 'innere_medizin', 'facharzt', 'BY', 'DEU', $${p + 3}::timestamptz, $${p + 3}::timestamptz,
        '2026-05', '2026-05', $${p + 3}::timestamptz, 'physician', 'facharzt', 'innere_medizin', '0100', ${1000 + (i % 500)})`);
      values.push(randomUUID(), originalHash(SECRET, `doctor${i}@klinik.example`), new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString());
    }
    await source.query(
      `insert into users (user_id, email_hash, hospital_id, specialty, role_level, state_code, country_code, created_at, updated_at,
        terms_accepted_version, privacy_accepted_version, consent_accepted_at, profession, seniority, department_group, specialization_code,
        hospital_ref_id) values ${rows.join(',')}`,
      values,
    );
  }
  // Weeks and days, set-based: 2-decimal hours as the original stores them.
  await source.query(`insert into finalized_user_weeks
    select md5(u.user_id::text || 'w' || g)::uuid, u.user_id, date '2026-01-05' + 7 * g, date '2026-01-11' + 7 * g,
      round((35 + random() * 15)::numeric, 2), round((40 + random() * 25)::numeric, 2),
      u.hospital_id, u.specialty, u.role_level, u.state_code, 'DEU', u.profession, u.seniority, u.department_group, u.specialization_code,
      u.hospital_ref_id, timestamptz '2026-01-11 19:00:00+00' + g * interval '7 days'
    from users u cross join generate_series(0, ${PER_USER - 1}) g`);
  await source.query(`insert into work_events
    select md5(u.user_id::text || 'd' || g)::uuid, u.user_id, date '2026-07-01' + g,
      round((6 + random() * 4)::numeric, 2), round((7 + random() * 6)::numeric, 2), 'manual',
      timestamptz '2026-07-02 06:00:00+00' + g * interval '1 day'
    from users u cross join generate_series(0, ${PER_USER - 1}) g`);
  await source.query(`insert into verification_requests values (gen_random_uuid(), 'x', 'klinik.example', $1,
    now() + interval '15 minutes', null, 'pending', 0, now())`, [originalHash(SECRET, '123456')]);
  await source.query('analyze');
  const rowCount = USERS * (1 + 2 * PER_USER);
  log(`seeded ${USERS.toLocaleString('en')} users, ${(USERS * PER_USER).toLocaleString('en')} weeks and ${(USERS * PER_USER).toLocaleString('en')} days in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'owh-bench-')),
    DATABASE_URL: targetUrl.toString(),
    SECRET_KEY: randomBytes(32).toString('base64url'),
    EMAIL_HASH_SECRET: SECRET,
  });
  const database = openDatabase(config.database);
  await migrateToLatest(database.db);
  const repository = new OriginalSourceRepository(source.url);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  started = Date.now();
  const report = await new OriginalImportService({
    config,
    clock: systemClock,
    source: repository,
    target: new OriginalImportRepository(database.db),
    users: new UserRepository(database.db),
    personalData: new PersonalDataRepository(database.db),
  }).run({ onProgress: log, progressIntervalMs: 10_000 });
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  await repository.close();
  await database.destroy();
  for (const table of report.tables) log(`  ${table.table.padEnd(26)} ${String(table.source).padStart(10)} ${String(table.target).padStart(10)}`);
  log(
    `imported ${rowCount.toLocaleString('en')} rows in ${seconds.toFixed(1)} s (${Math.round(rowCount / seconds).toLocaleString('en')} rows/s), ` +
      `peak RSS ${Math.round(peakRss / 2 ** 20)} MB, mismatches: ${report.mismatches.length}`,
  );
  if (report.mismatches.length > 0) process.exitCode = 1;
} finally {
  await source.drop();
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`);
}
