/**
 * `npm run maintenance` (issue 12.4): with AGGREGATION_CRON=off an external cron runs it, and it must do
 * everything the in-process schedule does: publish closed months and delete what expires (old feedback,
 * expired codes and verifications, rate-limit records carrying IP addresses).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { insertFeedback } from '../helpers/admin-seed.js';
import { DAY } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';
import { addCell, breakLedger, count } from '../helpers/statistics.js';

// The CLI reads the real clock, so every row is dated relative to now.
describe(`npm run maintenance (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const maintenance = (...args: string[]) => runScript('src/cli/maintenance.ts', t.env, args);
  const rows = async (table: 'feedback' | 'verification_codes' | 'email_verifications' | 'rate_limit_hits') =>
    Number((await t.database.db.selectFrom(table).select(t.database.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  /** One expired and one current row in every table the maintenance purges. */
  async function seedExpiringRows(): Promise<void> {
    const { db } = t.database;
    const now = Date.now();
    const old = new Date(now - 120 * DAY).toISOString();
    const recent = new Date(now - DAY / 24).toISOString();
    const future = new Date(now + DAY).toISOString();
    await insertFeedback(db, [old, recent].map((createdAt) => ({ createdAt })));
    await db
      .insertInto('verification_codes')
      .values([old, future].map((expires_at) => ({ id: randomUUID(), email_hash: `h-${randomUUID()}`, code: 'x', expires_at, used: false, created_at: old })))
      .execute();
    await db
      .insertInto('email_verifications')
      .values([old, future].map((expires_at) => ({ email_hash: `h-${randomUUID()}`, verified_at: old, expires_at })))
      .execute();
    await db
      .insertInto('rate_limit_hits')
      .values([old, recent].map((hit_at) => ({ id: randomUUID(), bucket: 'request-code:ip:203.0.113.7', hit_at })))
      .execute();
  }

  test('a failed aggregation exits 1 and says so on stderr, and the purges still run', async () => {
    await addCell(t.database.db, { period: '2025-06', users: 10 });
    await seedExpiringRows();
    const repair = await breakLedger(t.database.db, backend);
    const run = await maintenance();
    await repair();
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^aggregation: failed: .*ledger unavailable \(\d+ ms\)\n$/);
    assert.match(run.stdout, /^feedback retention purge: 1 row deleted \(\d+ ms\)$/m);
    assert.equal(await count(t.database.db, 'stats_periods'), 0);
    assert.equal(await rows('feedback'), 1);
  });

  test('one run publishes closed months and deletes every expired row, one line per job', async () => {
    await seedExpiringRows();
    const run = await maintenance();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const lines = run.stdout.trimEnd().split('\n');
    // Every job of the daily maintenance, in its order: the CLI runs the same list as the schedule.
    assert.deepEqual(
      lines.map((line) => line.slice(0, line.indexOf(':'))),
      t.app.services.maintenance.jobNames,
    );
    // Only June has anyone: it is published (its ten people counted); the later months stay open.
    assert.match(lines[0]!, /^aggregation: Success: published 2025-06: .* 10 people counted, .* Nobody counted in .* \(\d+ ms\)$/);
    assert.match(run.stdout, /^rate-limit purge: 1 row deleted/m);
    assert.match(run.stdout, /^expired login codes purge: 1 row deleted/m);
    assert.match(run.stdout, /^expired e-mail verifications purge: 1 row deleted/m);
    assert.match(run.stdout, /^feedback retention purge: 1 row deleted/m);

    assert.equal(await count(t.database.db, 'stats_periods'), 1);
    for (const table of ['feedback', 'verification_codes', 'email_verifications', 'rate_limit_hits'] as const) {
      assert.equal(await rows(table), 2, `${table}: only the current rows of both seeds are left`);
    }
    const runs = await t.database.db.selectFrom('aggregation_runs').select(['trigger', 'status']).orderBy('started_at').execute();
    assert.deepEqual(runs.map((r) => `${r.trigger} ${r.status}`), ['cli failed', 'cli success'], 'recorded as started from the command line');
  });

  test('running again deletes nothing and publishes nothing', async () => {
    const run = await maintenance();
    assert.equal(run.code, 0, run.stderr);
    // June stays published as it was; the months with nobody stay open.
    assert.match(run.stdout, /^aggregation: Nothing published\. Nobody counted in /);
    assert.equal(run.stdout.match(/: 0 rows deleted/g)?.length, 4, run.stdout);
  });

  test('refuses arguments with a usage line', async () => {
    const run = await maintenance('--period', '2025-06');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Usage: npm run maintenance: /);
  });
});
