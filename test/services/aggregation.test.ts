import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/index.js';
import { AppError } from '../../src/errors.js';
import { AGGREGATION_LOCK_KEY } from '../../src/services/aggregation.js';
import { createServices } from '../../src/services/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, CONSENT, createRegisteredUser } from '../helpers/auth.js';
import { FakeClock } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';
import { addCell, addEvents, addFinalizedWeeks, addMonthOfEvents, addUser, breakLedger, count, publishedRows } from '../helpers/statistics.js';

/** With this ε the noise is zero with overwhelming probability, so the estimator can be checked exactly. */
const HUGE_EPSILON = { EPSILON: '1e9' };

describe(`aggregation (${backend})`, () => {
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}, now = '2026-03-15T10:00:00Z') => {
    const t = await createTestApp({ env, clock: new FakeClock(now) });
    apps.push(t);
    return t;
  };
  afterEach(async () => {
    while (apps.length) await apps.pop()!.close();
  });

  test('the estimator, exactly: mean minutes per day × 7 / 60, clipped to the cap, averaged per cell', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    // Ten doctors at 480 actual / 420 planned minutes a day: 56.00 / 49.00 weekly hours each.
    await addCell(db, { period: '2026-01', users: 10, days: 20, actual: 480, planned: 420 });
    // 1200 min/day is 140 h/week, clipped to 100; planned 600 min/day is 70 h.
    const long = await addUser(db);
    await addMonthOfEvents(db, long, '2026-01', 10, { actual: 1200, planned: 600 });
    // Exactly the minimum of 7 days: 500 min/day is 58.333 h -> 58.33; planned 450 min/day is 52.50 h.
    const minimum = await addUser(db);
    await addMonthOfEvents(db, minimum, '2026-01', 7, { actual: 500, planned: 450 });
    // The mean is over reported days: 5 × 600 + 2 × 0 minutes in 7 days is 50.00 h; planned 480/day is 56.00 h.
    const mixed = await addUser(db);
    await addMonthOfEvents(db, mixed, '2026-01', 5, { actual: 600, planned: 480 });
    await addEvents(db, mixed, ['2026-01-30', '2026-01-31'], { actual: 0, planned: 480 });
    // A second cell of exactly ten: 600 / 480 minutes a day are 70.00 / 56.00 h.
    await addCell(db, { period: '2026-01', state_code: 'BE', specialty: 'surgery', users: 10, actual: 600, planned: 480 });

    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.status, 'success', report.message);
    // February is closed too; with no cell in it, it is frozen empty.
    assert.deepEqual(report.periods, ['2026-01', '2026-02']);
    assert.equal(report.cells_published, 2);

    const rows = await publishedRows(db);
    const view = rows.map(({ id: _id, created_at: _c, ...rest }) => rest);
    assert.deepEqual(view, [
      {
        period: '2026-01',
        state_code: 'BE',
        specialty: 'surgery',
        n_users: 10,
        avg_weekly_hours: 70,
        avg_planned_weekly_hours: 56,
        avg_overtime_weekly_hours: 14,
        ci90_half_width: 0.01,
        planned_ci90_half_width: 0.01,
        overtime_ci90_half_width: 0.01,
        epsilon: 1e9,
        k_min: 10,
      },
      {
        period: '2026-01',
        state_code: 'BY',
        specialty: 'internal_medicine',
        // 13 people, published rounded down to a multiple of 5.
        n_users: 10,
        // (10 × 56.00 + 100 + 58.33 + 50.00) / 13 = 768.33 / 13 = 59.10
        avg_weekly_hours: 59.1,
        // (10 × 49.00 + 70.00 + 52.50 + 56.00) / 13 = 668.50 / 13 = 51.42
        avg_planned_weekly_hours: 51.42,
        avg_overtime_weekly_hours: 7.68,
        ci90_half_width: 0.01,
        planned_ci90_half_width: 0.01,
        overtime_ci90_half_width: 0.01,
        epsilon: 1e9,
        k_min: 10,
      },
    ]);
    assert.equal(rows[0]!.created_at, '2026-03-15T10:00:00.000Z');
  });

  test('with the default ε the published averages carry noise of the documented size, inside the 90% interval', async () => {
    const t = await start();
    const db = t.database.db;
    // 40 cells of 20 doctors at 600 actual minutes a day: exactly 70.00 weekly hours each.
    const cells = 40;
    for (let i = 0; i < cells; i++) {
      await addCell(db, { period: '2026-01', state_code: `S${String(i).padStart(2, '0')}`, users: 20, days: 7, actual: 600, planned: 480 });
    }
    await t.app.services.aggregation.run({ trigger: 'cli' });
    const rows = await publishedRows(db);
    assert.equal(rows.length, cells);
    // The true average is 70.00 h; the noise on it is discrete Laplace of scale 12 500 / (100 × 20) = 6.25 h.
    const errors = rows.map((r) => r.avg_weekly_hours - 70);
    const meanAbsolute = errors.reduce((a, e) => a + Math.abs(e), 0) / cells;
    assert.ok(meanAbsolute > 6.25 / 3 && meanAbsolute < 6.25 * 3, `mean |noise| ${meanAbsolute.toFixed(2)} h, expected about 6.25 h`);
    for (const row of rows) {
      // ln(10) × 100 h / (0.8 × 20) = 14.39 h
      assert.equal(row.ci90_half_width, 14.4);
      // ln(10) × 100 h / (0.2 × 20) = 57.565 h
      assert.equal(row.planned_ci90_half_width, 57.57);
      // Overtime: the two 95% bounds added, ln(20) × 100 h / (0.8 × 20) + ln(20) × 100 h / (0.2 × 20) = 93.617 h
      assert.equal(row.overtime_ci90_half_width, 93.62);
      assert.equal(row.epsilon, 1);
      assert.equal(row.n_users, 20);
      assert.equal(Math.round((row.avg_weekly_hours - row.avg_planned_weekly_hours!) * 100) / 100, row.avg_overtime_weekly_hours);
    }
    const covered = errors.filter((e) => Math.abs(e) <= 14.4).length;
    assert.ok(covered >= 28, `${covered} of ${cells} within the 90% interval (expected about 36)`);
  });

  test('a cell of 9 is suppressed, 10 is published; n is rounded down to a multiple of 5', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    await addCell(db, { period: '2026-01', state_code: 'HH', users: 9 });
    await addCell(db, { period: '2026-01', state_code: 'BE', users: 10 });
    await addCell(db, { period: '2026-01', state_code: 'BW', users: 14 });
    await addCell(db, { period: '2026-01', state_code: 'NW', users: 15 });

    const report = await t.app.services.aggregation.run({ trigger: 'admin' });
    assert.equal(report.cells_published, 3);
    assert.equal(report.cells_suppressed, 1);
    assert.equal(report.users_counted, 39);
    assert.doesNotMatch(JSON.stringify(report), /HH|internal_medicine/, 'no details of any cell, suppressed or not');

    const rows = await publishedRows(db);
    assert.deepEqual(
      rows.map((r) => [r.state_code, r.n_users]),
      [
        ['BE', 10],
        ['BW', 10],
        ['NW', 15],
      ],
    );
    assert.equal(await count(db, 'privacy_ledger'), 39, 'the nine in the suppressed cell spent no privacy budget');
  });

  test('demo accounts, unregistered users and users under the minimum days do not count', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    await addCell(db, { period: '2026-01', users: 10, actual: 480, planned: 480 });
    // Each of these would pull the average to the cap if counted.
    const extreme = { actual: 1440, planned: 1440 };
    const demo = await addUser(db, { is_demo: true });
    await addMonthOfEvents(db, demo, '2026-01', 20, extreme);
    const noConsent = await addUser(db, { consented: false });
    await addMonthOfEvents(db, noConsent, '2026-01', 20, extreme);
    const noProfile = await addUser(db, { state_code: null });
    await addMonthOfEvents(db, noProfile, '2026-01', 20, extreme);
    const sixDays = await addUser(db);
    await addMonthOfEvents(db, sixDays, '2026-01', 6, extreme);
    // Seven days, but only six of them in January.
    const straddling = await addUser(db);
    await addEvents(db, straddling, ['2025-12-31', '2026-01-26', '2026-01-27', '2026-01-28', '2026-01-29', '2026-01-30', '2026-01-31'], extreme);

    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.users_counted, 10);
    const [row] = await publishedRows(db);
    assert.equal(row!.avg_weekly_hours, 56);
    assert.equal(row!.avg_planned_weekly_hours, 56);

    // Nine regular users plus all of the above make no cell.
    const t2 = await start(HUGE_EPSILON);
    await addCell(t2.database.db, { period: '2026-01', users: 9 });
    const demo2 = await addUser(t2.database.db, { is_demo: true });
    await addMonthOfEvents(t2.database.db, demo2, '2026-01', 20, extreme);
    const short2 = await addUser(t2.database.db);
    await addMonthOfEvents(t2.database.db, short2, '2026-01', 6, extreme);
    const report2 = await t2.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report2.cells_published, 0);
    assert.equal(await count(t2.database.db, 'stats_by_state_specialty'), 0);
  });

  test('a user whose consent is outdated is stored but not counted until they consent again', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    const cell = { state_code: 'BE', specialty: 'innere_medizin', users: 10, actual: 480, planned: 480 };
    await addCell(db, { period: '2026-01', ...cell });
    await addCell(db, { period: '2026-02', ...cell });
    // A registered user who accepted terms that are no longer current (the operator published new ones).
    const { token, user } = await createRegisteredUser(t);
    await db.updateTable('users').set({ terms_accepted_version: '2025-01' }).where('id', '=', user.id).execute();
    const me = (await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).json();
    assert.equal(me.consent_required, true);
    // Their weeks are accepted and stored as always (no 403: the app would take it for "sign in again").
    for (const week_start of ['2026-01-05', '2026-01-12', '2026-02-02', '2026-02-09']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/finalized-weeks',
        headers: bearer(token),
        payload: { week_start, planned_hours: 40, actual_hours: 100 },
      });
      assert.equal(res.statusCode, 201, res.body);
    }

    const january = await t.app.services.aggregation.run({ period: '2026-01', trigger: 'cli' });
    assert.equal(january.users_counted, 10, 'not counted while the consent is outdated');
    assert.deepEqual((await publishedRows(db)).map((r) => [r.period, r.avg_weekly_hours]), [['2026-01', 56]]);

    const consented = await t.app.inject({ method: 'POST', url: '/auth/consent', headers: bearer(token), payload: CONSENT });
    assert.equal(consented.json().consent_required, false);
    const february = await t.app.services.aggregation.run({ period: '2026-02', trigger: 'cli' });
    assert.equal(february.users_counted, 11, 'counted again after consenting');
    // (10 × 56 + 100) / 11 = 60.00
    assert.deepEqual((await publishedRows(db)).map((r) => [r.period, r.avg_weekly_hours]), [['2026-01', 56], ['2026-02', 60]]);
  });

  test('a month is published only after its last day plus the grace days have passed in TIMEZONE', async () => {
    // 22:30 UTC on 7 February is still 7 February in Berlin: January + 7 grace days is not over.
    const t = await start(HUGE_EPSILON, '2026-02-07T22:30:00Z');
    const db = t.database.db;
    await addCell(db, { period: '2026-01', users: 10 });
    await addCell(db, { period: '2026-02', users: 10, days: 7 });
    const early = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(early.status, 'success');
    assert.deepEqual(early.periods, []);
    await assert.rejects(
      t.app.services.aggregation.run({ period: '2026-01', trigger: 'cli' }),
      (e: unknown) => e instanceof AppError && e.statusCode === 422 && /from 2026-02-08 \(Europe\/Berlin\)/.test(e.detail),
    );
    await assert.rejects(t.app.services.aggregation.run({ period: '2026-02', trigger: 'cli' }), AppError, 'never the current month');
    await assert.rejects(t.app.services.aggregation.run({ period: '2026-13', trigger: 'cli' }), AppError);
    assert.equal(await count(db, 'stats_by_state_specialty'), 0);

    // One hour later it is 8 February in Berlin: January is closed, February (the current month) is not.
    t.clock.set('2026-02-07T23:30:00Z');
    const due = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(due.periods, ['2026-01']);
    assert.deepEqual((await publishedRows(db)).map((r) => r.period), ['2026-01']);

    // The same instant in UTC is still 7 February.
    const utc = await start({ ...HUGE_EPSILON, TIMEZONE: 'UTC' }, '2026-02-07T23:30:00Z');
    await addCell(utc.database.db, { period: '2026-01', users: 10 });
    assert.deepEqual((await utc.app.services.aggregation.run({ trigger: 'cli' })).periods, []);

    // Without grace days a month closes at midnight after its last day, and the current month stays open.
    const noGrace = await start({ ...HUGE_EPSILON, AGGREGATION_GRACE_DAYS: '0' }, '2026-02-28T22:59:00Z');
    await addCell(noGrace.database.db, { period: '2026-02', users: 10, days: 7 });
    await addCell(noGrace.database.db, { period: '2026-03', users: 10, days: 1 });
    assert.deepEqual((await noGrace.app.services.aggregation.run({ trigger: 'cli' })).periods, []);
    noGrace.clock.set('2026-02-28T23:00:00Z'); // 1 March, 00:00 in Berlin
    assert.deepEqual((await noGrace.app.services.aggregation.run({ trigger: 'cli' })).periods, ['2026-02']);
  });

  test('published rows are frozen: re-running, edits, deletions and new users change nothing', async () => {
    // Default ε = 1: a re-drawn noise would show as different numbers.
    const t = await start();
    const db = t.database.db;
    const ids = await addCell(db, { period: '2026-01', users: 12 });
    await addCell(db, { period: '2026-01', state_code: 'HH', users: 9 });
    await addCell(db, { period: '2026-02', users: 10, days: 10 });
    const first = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(first.periods, ['2026-01', '2026-02']);
    const before = await publishedRows(db);
    assert.equal(before.length, 2);

    const again = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(again.status, 'success');
    assert.deepEqual(again.periods, []);
    assert.match(again.message, /Nothing to do/);
    assert.deepEqual(await publishedRows(db), before);

    // Everything that could move the figures after publication:
    await db.updateTable('work_events').set({ actual_minutes: 0, planned_minutes: 0 }).where('user_id', '=', ids[0]!).execute();
    await db.deleteFrom('work_events').where('user_id', '=', ids[1]!).execute();
    await db.deleteFrom('users').where('id', 'in', [ids[2]!, ids[3]!]).execute();
    await db.updateTable('users').set({ state_code: 'HH' }).where('id', '=', ids[4]!).execute();
    await addCell(db, { period: '2026-01', state_code: 'HH', users: 5 }); // HH would now reach 10 + 5
    await addCell(db, { period: '2026-01', state_code: 'SN', users: 10 });

    const later = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(later.periods, []);
    const explicit = await t.app.services.aggregation.run({ period: '2026-01', trigger: 'admin' });
    assert.equal(explicit.status, 'success');
    assert.deepEqual(explicit.periods, []);
    assert.match(explicit.message, /2026-01 is already published/);
    assert.deepEqual(await publishedRows(db), before);
  });

  test('two aggregation processes started together publish each cell exactly once', async () => {
    // Real processes (`npm run aggregate`), as with a cron'd CLI next to several server instances. The CLI
    // reads the real clock, so these months are long closed.
    const t = await start();
    const db = t.database.db;
    const months = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01'];
    for (const period of months) {
      await addCell(db, { period, state_code: 'BY', users: 10 });
      await addCell(db, { period, state_code: 'BE', users: 11 });
    }
    const runs = await Promise.all([0, 1, 2].map(() => runScript('src/cli/aggregate.ts', t.env)));
    for (const run of runs) assert.equal(run.code, 0, run.stderr + run.stdout);
    const published = runs.map((r) => Number(/(\d+) cells?,/.exec(r.stdout)?.[1] ?? 0));
    assert.equal(published.reduce((a, b) => a + b, 0), 10, runs.map((r) => r.stdout).join('\n'));
    assert.equal(await count(db, 'stats_by_state_specialty'), 10);
    assert.equal(await count(db, 'privacy_ledger'), 5 * 21);
    const periods = await db.selectFrom('stats_periods').select('period').orderBy('period').execute();
    assert.deepEqual(periods.map((p) => p.period).slice(0, 5), months, 'each month processed once');
    assert.equal(await count(db, 'aggregation_runs'), 3);
  });

  if (backend === 'postgres') {
    test('concurrent runs from several connection pools in one process publish each cell once', async () => {
      const t = await start();
      const db = t.database.db;
      for (const period of ['2025-10', '2025-11', '2025-12', '2026-01', '2026-02']) {
        await addCell(db, { period, state_code: 'BY', users: 10 });
        await addCell(db, { period, state_code: 'BE', users: 11 });
      }
      const other = openDatabase(t.config.database);
      try {
        const services = [t.app.services, createServices({ config: t.config, database: other, clock: t.clock })];
        const reports = await Promise.all([0, 1, 0, 1].map((i) => services[i]!.aggregation.run({ trigger: 'schedule' })));
        for (const report of reports) assert.ok(report.status === 'success' || report.status === 'skipped', report.message);
        assert.equal(reports.reduce((n, r) => n + r.cells_published, 0), 10);
        assert.deepEqual(reports.flatMap((r) => r.periods).sort(), ['2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
        assert.equal(await count(db, 'stats_by_state_specialty'), 10);
        assert.equal(await count(db, 'privacy_ledger'), 5 * 21);
      } finally {
        await other.destroy();
      }
    });
  }

  if (backend === 'postgres') {
    test('while another process holds the aggregation lock, a run is skipped and says so', async () => {
      const t = await start();
      await addCell(t.database.db, { period: '2026-01', users: 10 });
      const holder = openDatabase(t.config.database);
      try {
        await holder.db.connection().execute(async (connection) => {
          await sql`select pg_advisory_lock(${AGGREGATION_LOCK_KEY.toString()}::bigint)`.execute(connection);
          const skipped = await t.app.services.aggregation.run({ trigger: 'schedule' });
          assert.equal(skipped.status, 'skipped');
          assert.match(skipped.message, /another aggregation run/);
          assert.equal(await count(t.database.db, 'stats_by_state_specialty'), 0);
          await sql`select pg_advisory_unlock(${AGGREGATION_LOCK_KEY.toString()}::bigint)`.execute(connection);
        });
      } finally {
        await holder.destroy();
      }
      assert.equal((await t.app.services.aggregation.lastRun())?.status, 'skipped');
      const done = await t.app.services.aggregation.run({ trigger: 'schedule' });
      assert.deepEqual(done.periods, ['2026-01', '2026-02']);
    });
  }

  test('a failure in the middle of a month leaves none of that month published, and is reported', async () => {
    const t = await start();
    const db = t.database.db;
    await addCell(db, { period: '2026-01', users: 10 });
    await addCell(db, { period: '2026-02', users: 10, days: 10 });
    // Make the last step of each month (the privacy ledger) fail, after its cells have been inserted.
    const repair = await breakLedger(db, backend);
    const failed = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /ledger unavailable/);
    assert.deepEqual(failed.periods, []);
    assert.equal(await count(db, 'stats_by_state_specialty'), 0, 'the inserted cells were rolled back');
    assert.equal(await count(db, 'stats_periods'), 0);
    const last = await t.app.services.aggregation.lastRun();
    assert.equal(last?.status, 'failed');
    assert.match(last?.error ?? '', /ledger unavailable/);

    await repair();
    const retried = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(retried.status, 'success');
    assert.deepEqual(retried.periods, ['2026-01', '2026-02']);
    assert.equal(await count(db, 'stats_by_state_specialty'), 2);
  });

  test('every run is recorded for the operators; lastRun() returns the latest', async () => {
    const t = await start();
    assert.equal(await t.app.services.aggregation.lastRun(), null);
    await addCell(t.database.db, { period: '2026-01', users: 10 });
    const report = await t.app.services.aggregation.run({ trigger: 'admin' });
    const last = await t.app.services.aggregation.lastRun();
    assert.deepEqual(last, report);
    assert.equal(last?.trigger, 'admin');
    assert.deepEqual(last?.periods, ['2026-01', '2026-02']);
    t.clock.advance(60_000);
    await t.app.services.aggregation.run({ trigger: 'schedule' });
    assert.equal((await t.app.services.aggregation.lastRun())?.trigger, 'schedule');
  });

  test('the privacy ledger lists a person’s releases and ε per year, and is erased with the person', async () => {
    const t = await start({ EPSILON: '0.5', EPSILON_ACTUAL_SHARE: '0.6' });
    const db = t.database.db;
    const person = await addUser(db);
    for (const period of ['2025-11', '2025-12', '2026-01']) {
      await addMonthOfEvents(db, person, period, 10, { actual: 540, planned: 480 });
      await addCell(db, { period, users: 9 });
    }
    // In February the person is in a cell that stays below k: no release, no budget spent.
    await addMonthOfEvents(db, person, '2026-02', 10, { actual: 540, planned: 480 });
    await t.app.services.aggregation.run({ trigger: 'cli' });

    const ledger = await t.app.services.statistics.privacyLedger(person);
    assert.deepEqual(
      ledger.releases.map((r) => [r.period, r.state_code, r.specialty, r.epsilon]),
      [
        ['2026-01', 'BY', 'internal_medicine', 0.5],
        ['2025-12', 'BY', 'internal_medicine', 0.5],
        ['2025-11', 'BY', 'internal_medicine', 0.5],
      ],
    );
    assert.deepEqual(ledger.epsilon_by_year, [
      { year: '2026', releases: 1, epsilon: 0.5 },
      { year: '2025', releases: 2, epsilon: 1 },
    ]);

    await db.deleteFrom('users').where('id', '=', person).execute();
    assert.deepEqual(await t.app.services.statistics.privacyLedger(person), { releases: [], imported_releases: [], epsilon_by_year: [] });
    assert.equal(await count(db, 'privacy_ledger'), 27, 'only the deleted person’s entries are gone');
    assert.equal(await count(db, 'stats_by_state_specialty'), 3, 'published statistics stay');
  });

  /** The published averages of each row, as [period, n, actual, planned, overtime]. */
  const averages = async (db: TestApp['database']['db']) =>
    (await publishedRows(db)).map((r) => [r.period, r.n_users, r.avg_weekly_hours, r.avg_planned_weekly_hours, r.avg_overtime_weekly_hours]);

  test('a finalized week counts as one complete week of its person: seven days with its total hours', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    // Ten people who only send weeks (as the app does): two weeks of 50 h worked, 40 h planned in January.
    for (let i = 0; i < 10; i++) {
      const person = await addUser(db);
      await addFinalizedWeeks(db, person, [
        { week_start: '2026-01-05', actual_hours: 50, planned_hours: 40 },
        { week_start: '2026-01-12', actual_hours: 50, planned_hours: 40 },
      ]);
    }
    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.status, 'success', report.message);
    assert.deepEqual(report.periods, ['2026-01', '2026-02'], 'weeks alone make January a month with data');
    assert.equal(report.users_counted, 10);
    assert.deepEqual(await averages(db), [['2026-01', 10, 50, 40, 10]]);
  });

  test('a finalized week belongs to the month of its Thursday', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    // Someone's single day in December makes December a month that is aggregated too.
    await addEvents(db, await addUser(db), ['2025-12-10'], { actual: 480, planned: 480 });
    for (let i = 0; i < 10; i++) {
      const person = await addUser(db);
      await addFinalizedWeeks(db, person, [
        // Monday 29 December to Sunday 4 January: its Thursday is 1 January.
        { week_start: '2025-12-29', actual_hours: 60, planned_hours: 45 },
        { week_start: '2026-01-05', actual_hours: 40, planned_hours: 35 },
        // Monday 26 January to Sunday 1 February: its Thursday is 29 January.
        { week_start: '2026-01-26', actual_hours: 50, planned_hours: 40 },
        // Monday 23 February to Sunday 1 March: February.
        { week_start: '2026-02-23', actual_hours: 30, planned_hours: 30 },
      ]);
      // Sunday 1 February lies in the week of 26 January, counted in January: not a February day as well.
      await addEvents(db, person, ['2026-02-01'], { actual: 1200, planned: 1200 });
    }
    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(report.periods, ['2025-12', '2026-01', '2026-02']);
    assert.deepEqual(await averages(db), [
      // (60 + 40 + 50) / 3 = 50 worked, (45 + 35 + 40) / 3 = 40 planned; nothing in December.
      ['2026-01', 10, 50, 40, 10],
      // Only the week of 23 February: counting the event of 1 February too would give 43.75 h.
      ['2026-02', 10, 30, 30, 0],
    ]);
  });

  test('daily events inside a finalized week are not counted again; events outside it still are', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    for (let i = 0; i < 10; i++) {
      const person = await addUser(db);
      await addFinalizedWeeks(db, person, [{ week_start: '2026-01-05', actual_hours: 50, planned_hours: 40 }]);
      // The same seven days as daily events with very different minutes: the week wins.
      await addEvents(db, person, ['2026-01-05', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10', '2026-01-11'], {
        actual: 1200,
        planned: 1200,
      });
      // Seven more days outside the week at 600 / 480 minutes (70 / 56 h a week).
      await addEvents(db, person, ['2026-01-19', '2026-01-20', '2026-01-21', '2026-01-22', '2026-01-23', '2026-01-24', '2026-01-25'], {
        actual: 600,
        planned: 480,
      });
    }
    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.status, 'success', report.message);
    // Per person 14 days: the week (50 h) and seven days at 70 h a week, (50 + 70) / 2 = 60 h; planned (40 + 56) / 2 = 48 h.
    // Counting the events inside the week as well would give 21 days and 86.67 h.
    assert.deepEqual(await averages(db), [['2026-01', 10, 60, 48, 12]]);
    assert.equal(report.users_counted, 10);
  });

  after(async () => {
    while (apps.length) await apps.pop()!.close();
  });
});
