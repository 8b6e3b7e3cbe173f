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
import { addCell, addEvents, addFinalizedWeeks, addMonthOfEvents, addUser, breakLedger, CERTAIN_DISPLAY_ENV, count, publishedRows, releasedRows, statsRow } from '../helpers/statistics.js';

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

  /** The displayed cells as [period, state, group, profession, n, actual, planned, overtime]. */
  const cells = async (db: TestApp['database']['db'], level = 'cell') =>
    (await releasedRows(db, level)).map((r) => [r.period, r.state_code, r.department_group, r.profession, r.n_display, r.actual_mean, r.planned_mean, r.overtime_mean]);

  test('the estimator, exactly: mean weekly hours over complete weeks, clipped, one cell per person', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    // Ten doctors, two complete weeks at 480 actual / 420 planned minutes a day: 56.00 / 49.00 weekly hours each.
    await addCell(db, { period: '2026-01', users: 10, actual: 480, planned: 420 });
    // 1200 min/day is 140 h/week, clipped to the cap of 80; planned 600 min/day is 70 h.
    const long = await addUser(db);
    await addMonthOfEvents(db, long, '2026-01', 14, { actual: 1200, planned: 600 });
    // Five days at 600 minutes and two days off confirmed as 0: one complete week of 50 h.
    const mixed = await addUser(db);
    await addEvents(db, mixed, ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'], { actual: 600, planned: 480 });
    await addEvents(db, mixed, ['2026-01-10', '2026-01-11'], { actual: 0, planned: 0 });
    // Six confirmed days of a week are no complete week: this person does not count at all.
    const partial = await addUser(db);
    await addMonthOfEvents(db, partial, '2026-01', 6, { actual: 1440, planned: 1440 });
    // Nurses are their own cell.
    await addCell(db, { period: '2026-01', users: 10, profession: 'nurse', actual: 600, planned: 480 });

    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.status, 'success', report.message);
    // February has nobody counted: not published, not frozen.
    assert.deepEqual(report.periods, ['2026-01']);
    assert.equal(report.users_counted, 22);
    assert.equal(report.cells_published, 2);
    assert.equal(report.cells_suppressed, 528 - 2);
    assert.deepEqual(await cells(db), [
      ['2026-01', 'BY', 'innere_medizin', 'nurse', 10, 70, 56, 14],
      // (10 × 56 + 80 + 50) / 12 = 57.5; planned (10 × 49 + 70 + 40) / 12 = 50
      ['2026-01', 'BY', 'innere_medizin', 'physician', 12, 57.5, 50, 7.5],
    ]);
    // Levels are sums of their cells: (12 × 57.5 + 10 × 70) / 22 = 63.18; planned (600 + 560) / 22 = 52.73
    assert.deepEqual(await cells(db, 'germany'), [['2026-01', null, null, null, 22, 63.18, 52.73, 10.45]]);
    assert.deepEqual(await cells(db, 'state_department_group'), [['2026-01', 'BY', 'innere_medizin', null, 22, 63.18, 52.73, 10.45]]);
    assert.equal((await releasedRows(db, 'profession')).length, 2);
    const [row] = await releasedRows(db, 'cell');
    assert.equal(row!.method, 'v2-bounded-mean-2026');
    assert.equal(row!.created_at, '2026-03-15T10:00:00.000Z');
  });

  test('a cell whose noisy count is below K_MIN is not displayed, and its people still spend their ε', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    await addCell(db, { period: '2026-01', state_code: 'HH', users: 9 });
    await addCell(db, { period: '2026-01', state_code: 'BE', users: 10 });
    const report = await t.app.services.aggregation.run({ trigger: 'admin' });
    assert.equal(report.cells_published, 1);
    assert.equal(report.users_counted, 19);
    assert.doesNotMatch(JSON.stringify(report), /HH|innere_medizin/, 'no details of any cell, suppressed or not');
    assert.match(report.message, /19 people counted, each spending ε = 1000000000/);
    assert.deepEqual((await releasedRows(db)).map((r) => r.state_code), ['BE']);
    assert.equal(await count(db, 'privacy_ledger'), 19, 'the nine in the hidden cell are in the ledger too');
  });

  test('demo accounts, unregistered users, old consent versions and people without a complete week do not count', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    await addCell(db, { period: '2026-01', users: 10, actual: 480, planned: 480 });
    const extreme = { actual: 1440, planned: 1440 };
    const demo = await addUser(db, { is_demo: true });
    await addMonthOfEvents(db, demo, '2026-01', 14, extreme);
    const noConsent = await addUser(db, { consented: false });
    await addMonthOfEvents(db, noConsent, '2026-01', 14, extreme);
    const noState = await addUser(db, { state_code: null });
    await addMonthOfEvents(db, noState, '2026-01', 14, extreme);
    const oldTerms = await addUser(db);
    await db.updateTable('users').set({ terms_accepted_version: '2025-01' }).where('id', '=', oldTerms).execute();
    await addMonthOfEvents(db, oldTerms, '2026-01', 14, extreme);
    // Seven days, but across two ISO weeks (Sunday 4 January to Saturday 10 January): no complete week.
    const straddling = await addUser(db);
    await addEvents(db, straddling, ['2026-01-04', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10'], extreme);

    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.users_counted, 10);
    assert.deepEqual(await cells(db), [['2026-01', 'BY', 'innere_medizin', 'physician', 10, 56, 56, 0]]);
  });

  test('a month where nobody counted is not frozen: a later backfill still publishes it; STATS_FIRST_PERIOD bounds the months', async () => {
    const t = await start({ ...HUGE_EPSILON, STATS_FIRST_PERIOD: '2025-06' });
    const db = t.database.db;
    // One early day far back (before the first period) and nothing else.
    await addEvents(db, await addUser(db), ['2020-01-01', '2025-07-01'], { actual: 480, planned: 480 });
    const first = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(first.status, 'success');
    assert.deepEqual(first.periods, []);
    assert.match(first.message, /Nobody counted in 10 months, 2025-06 to 2026-03|Nobody counted in 9 months, 2025-06 to 2026-02/);
    assert.equal(await count(db, 'stats_periods'), 0);
    // The backfill of June 2025 arrives later.
    await addCell(db, { period: '2025-06', users: 30 });
    const later = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(later.periods, ['2025-06']);
    assert.deepEqual((await cells(db)).map((c) => [c[0], c[4]]), [['2025-06', 30]]);
    await assert.rejects(t.app.services.aggregation.run({ period: '2025-05', trigger: 'cli' }), AppError);
  });

  test('rows published before migration 0005 (no stats_periods entry) stay as they are and later runs do not fail', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    await db.insertInto('stats_by_state_specialty').values(statsRow({ period: '2026-01', state_code: 'BY', specialty: 'internal_medicine' })).execute();
    await addCell(db, { period: '2026-01', users: 12 });
    await addCell(db, { period: '2026-02', users: 12 });
    const report = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(report.status, 'success', report.message);
    assert.deepEqual(report.periods, ['2026-02'], 'January was published by the first method and stays frozen');
    const legacy = await publishedRows(db);
    assert.equal(legacy.length, 1);
    assert.equal(legacy[0]!.method, 'v1-laplace-2026');
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
    const published = async () => (await releasedRows(db, 'cell')).map((r) => [r.period, r.state_code, r.n_display, r.actual_mean]);
    assert.deepEqual(await published(), [['2026-01', 'BE', 10, 56]]);

    const consented = await t.app.inject({ method: 'POST', url: '/auth/consent', headers: bearer(token), payload: CONSENT });
    assert.equal(consented.json().consent_required, false);
    const february = await t.app.services.aggregation.run({ period: '2026-02', trigger: 'cli' });
    assert.equal(february.users_counted, 11, 'counted again after consenting');
    // (10 × 56 + 80) / 11 = 58.18: their 100 hours a week are clipped to WEEKLY_HOURS_CAP.
    assert.deepEqual(await published(), [['2026-01', 'BE', 10, 56], ['2026-02', 'BE', 11, 58.18]]);
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
    assert.equal((await releasedRows(db)).length, 0);

    // One hour later it is 8 February in Berlin: January is closed, February (the current month) is not.
    t.clock.set('2026-02-07T23:30:00Z');
    const due = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(due.periods, ['2026-01']);
    assert.deepEqual((await releasedRows(db)).map((r) => r.period), ['2026-01']);

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
    // Real noise: a re-drawn month would show as different numbers.
    const t = await start(CERTAIN_DISPLAY_ENV);
    const db = t.database.db;
    const ids = await addCell(db, { period: '2026-01', users: 45 });
    await addCell(db, { period: '2026-01', state_code: 'HH', users: 9 });
    await addCell(db, { period: '2026-02', users: 45, days: 14 });
    const first = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.deepEqual(first.periods, ['2026-01', '2026-02']);
    const before = await releasedRows(db);
    assert.ok(before.length >= 1);

    const again = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(again.status, 'success');
    assert.deepEqual(again.periods, []);
    assert.match(again.message, /Nothing (to do|published)/);
    assert.deepEqual(await releasedRows(db), before);

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
    assert.deepEqual(await releasedRows(db), before);
  });

  test('two aggregation processes started together publish each cell exactly once', async () => {
    // Real processes (`npm run aggregate`), as with a cron'd CLI next to several server instances. The CLI
    // reads the real clock, so these months are long closed.
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    const months = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01'];
    for (const period of months) {
      await addCell(db, { period, state_code: 'BY', users: 10 });
      await addCell(db, { period, state_code: 'BE', users: 11 });
    }
    const runs = await Promise.all([0, 1, 2].map(() => runScript('src/cli/aggregate.ts', t.env)));
    for (const run of runs) assert.equal(run.code, 0, run.stderr + run.stdout);
    const published = runs.map((r) => Number(/(\d+) cells? displayed/.exec(r.stdout)?.[1] ?? 0));
    assert.equal(published.reduce((a, b) => a + b, 0), 10, runs.map((r) => r.stdout).join('\n'));
    assert.equal((await releasedRows(db)).length, 10);
    assert.equal(await count(db, 'privacy_ledger'), 5 * 21);
    const periods = await db.selectFrom('stats_periods').select('period').orderBy('period').execute();
    assert.deepEqual(periods.map((p) => p.period).slice(0, 5), months, 'each month processed once');
    assert.equal(await count(db, 'aggregation_runs'), 3);
  });

  if (backend === 'postgres') {
    test('concurrent runs from several connection pools in one process publish each cell once', async () => {
      const t = await start(HUGE_EPSILON);
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
        assert.equal((await releasedRows(db)).length, 10);
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
          assert.equal((await releasedRows(t.database.db)).length, 0);
          await sql`select pg_advisory_unlock(${AGGREGATION_LOCK_KEY.toString()}::bigint)`.execute(connection);
        });
      } finally {
        await holder.destroy();
      }
      assert.equal((await t.app.services.aggregation.lastRun())?.status, 'skipped');
      const done = await t.app.services.aggregation.run({ trigger: 'schedule' });
      assert.deepEqual(done.periods, ['2026-01']);
    });
  }

  test('a failure in the middle of a month leaves none of that month published, and is reported', async () => {
    const t = await start(HUGE_EPSILON);
    const db = t.database.db;
    await addCell(db, { period: '2026-01', users: 10 });
    await addCell(db, { period: '2026-02', users: 10, days: 14 });
    // Make the last step of each month (the privacy ledger) fail, after its cells have been inserted.
    const repair = await breakLedger(db, backend);
    const failed = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /ledger unavailable/);
    assert.deepEqual(failed.periods, []);
    assert.equal((await releasedRows(db)).length, 0, 'the inserted cells were rolled back');
    assert.equal(await count(db, 'stats_periods'), 0);
    const last = await t.app.services.aggregation.lastRun();
    assert.equal(last?.status, 'failed');
    assert.match(last?.error ?? '', /ledger unavailable/);

    await repair();
    const retried = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(retried.status, 'success');
    assert.deepEqual(retried.periods, ['2026-01', '2026-02']);
    assert.equal((await releasedRows(db)).length, 2);
  });

  test('every run is recorded for the operators; lastRun() returns the latest', async () => {
    const t = await start();
    assert.equal(await t.app.services.aggregation.lastRun(), null);
    await addCell(t.database.db, { period: '2026-01', users: 10 });
    const report = await t.app.services.aggregation.run({ trigger: 'admin' });
    const last = await t.app.services.aggregation.lastRun();
    assert.deepEqual(last, report);
    assert.equal(last?.trigger, 'admin');
    assert.deepEqual(last?.periods, ['2026-01']);
    t.clock.advance(60_000);
    await t.app.services.aggregation.run({ trigger: 'schedule' });
    assert.equal((await t.app.services.aggregation.lastRun())?.trigger, 'schedule');
  });

  test('the privacy ledger lists a person’s releases and ε per year, and is erased with the person', async () => {
    const t = await start({ EPSILON: '0.5' });
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
        // February: the person's cell is not displayed, but its noisy values were computed from their data.
        ['2026-02', 'BY', 'innere_medizin', 0.5],
        ['2026-01', 'BY', 'innere_medizin', 0.5],
        ['2025-12', 'BY', 'innere_medizin', 0.5],
        ['2025-11', 'BY', 'innere_medizin', 0.5],
      ],
    );
    assert.deepEqual(ledger.epsilon_by_year, [
      { year: '2026', releases: 2, epsilon: 1 },
      { year: '2025', releases: 2, epsilon: 1 },
    ]);

    await db.deleteFrom('users').where('id', '=', person).execute();
    assert.deepEqual(await t.app.services.statistics.privacyLedger(person), { releases: [], imported_releases: [], epsilon_by_year: [] });
    assert.equal(await count(db, 'privacy_ledger'), 27, 'only the deleted person’s entries are gone');
    assert.equal(await count(db, 'stats_periods'), 4, 'published statistics stay');
  });

  /** The published averages of each row, as [period, n, actual, planned, overtime]. */
  const averages = async (db: TestApp['database']['db']) =>
    (await releasedRows(db)).map((r) => [r.period, r.n_display, r.actual_mean, r.planned_mean, r.overtime_mean]);

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
    assert.deepEqual(report.periods, ['2026-01'], 'weeks alone make January a month with data');
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
    assert.deepEqual(report.periods, ['2026-01', '2026-02'], 'nobody counted in December: not published');
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
