/**
 * The statistics seen from the people involved: a doctor's confirmed days count in a published cell, the
 * doctor sees that release in their privacy ledger, the operator triggers and sees the run, and erasing
 * the account removes the ledger but never the anonymous statistics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser, PROFILE } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';
import { addCell } from '../helpers/statistics.js';

const ADMIN = { authorization: `Basic ${Buffer.from('admin:stats-admin-password').toString('base64')}` };

describe(`statistics and accounts (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    // Huge epsilon: the noise is negligible, so the published average is the true one.
    t = await createTestApp({ env: { ADMIN_PASSWORD: 'stats-admin-password', EPSILON: '1e9' } });
  });
  after(async () => t.close());

  test('confirmed days -> admin-triggered release -> privacy ledger -> erasure keeps the statistics', async () => {
    const { token } = await createRegisteredUser(t);
    // Nine colleagues in the same cell (Berlin, the test profile's department group) with 8 h on each reported day, our doctor 9.6 h.
    await addCell(t.database.db, { period: '2026-02', state_code: PROFILE.state_code, specialty: PROFILE.department_group, users: 9, days: 10, actual: 480, planned: 480 });
    for (let day = 2; day <= 11; day++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/work-events',
        headers: bearer(token),
        payload: { date: `2026-02-${String(day).padStart(2, '0')}`, planned_minutes: 480, actual_minutes: 576 },
      });
      assert.equal(res.statusCode, 201, res.body);
    }

    const empty = await t.app.inject({ method: 'GET', url: '/auth/me/privacy', headers: bearer(token) });
    assert.deepEqual(empty.json(), { releases: [], imported_releases: [], epsilon_by_year: [] });

    const run = await t.app.inject({ method: 'POST', url: '/admin/aggregate', headers: ADMIN });
    assert.equal(run.statusCode, 200, run.body);
    const report = run.json();
    assert.equal(report.status, 'success');
    assert.equal(report.trigger, 'admin');
    assert.equal(report.cells_published, 1, JSON.stringify(report));
    assert.equal(report.users_counted, 10);

    const dashboard = await t.app.inject({ method: 'GET', url: '/admin/data', headers: ADMIN });
    assert.equal(dashboard.json().last_aggregation.run_id, report.run_id);
    assert.equal(dashboard.json().published_cells, 1);

    const [row] = (await t.app.inject({ method: 'GET', url: '/stats/by-state-specialty?period=2026-02' })).json();
    assert.equal(row.state_code, 'BE');
    assert.equal(row.n_users, 10);
    // Each counts through one complete week (2–8 February, seven confirmed days; the three days after it are an
    // incomplete week and do not count): (9 × 56 h + 7 × 9.6 h) / 10 doctors = 57.12 h.
    assert.ok(Math.abs(row.avg_weekly_hours - 57.12) < 0.01, String(row.avg_weekly_hours));

    // The app's insights card asks for the cell of the stored profile and finds this release.
    const insights = await t.app.inject({
      method: 'GET',
      url: `/stats/by-state-specialty?country_code=DEU&state_code=${PROFILE.state_code}&specialty=${PROFILE.department_group}&limit=1`,
    });
    assert.equal(insights.statusCode, 200);
    const [card] = insights.json();
    assert.equal(card.stat_id, row.stat_id);
    assert.deepEqual([card.status, card.period_start, card.period_end, card.n_display], ['published', '2026-02-01', '2026-02-28', 10]);
    // Planned 8 h a day for everyone: 56 h a week; overtime the rest of the actual hours, to the cent.
    assert.ok(Math.abs(card.planned_mean_hours - 56) < 0.01, String(card.planned_mean_hours));
    assert.equal(Math.round(card.planned_mean_hours * 100) + Math.round(card.overtime_mean_hours * 100), Math.round(card.avg_weekly_hours * 100));

    const ledger = (await t.app.inject({ method: 'GET', url: '/auth/me/privacy', headers: bearer(token) })).json();
    assert.equal(ledger.releases.length, 1);
    assert.deepEqual(
      { period: ledger.releases[0].period, state_code: ledger.releases[0].state_code, specialty: ledger.releases[0].specialty },
      { period: '2026-02', state_code: 'BE', specialty: PROFILE.department_group },
    );
    assert.deepEqual(ledger.epsilon_by_year, [{ year: '2026', releases: 1, epsilon: 1e9 }]);

    const exported = (await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) })).json();
    assert.equal(exported.work_events.length, 10);

    assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(token) })).statusCode, 204);
    const ledgerRows = await t.database.db.selectFrom('privacy_ledger').selectAll().execute();
    assert.equal(ledgerRows.length, 9, "only the colleagues' ledger entries remain");
    const after = (await t.app.inject({ method: 'GET', url: '/stats/by-state-specialty?period=2026-02' })).json();
    assert.deepEqual(after, [row], 'published statistics are anonymous and stay unchanged');
  });

  test('the admin endpoint refuses a month that is not closed, and needs the credentials', async () => {
    const open = await t.app.inject({ method: 'POST', url: '/admin/aggregate?period=2026-03', headers: ADMIN });
    assert.equal(open.statusCode, 422);
    assert.match(open.json().detail, /not closed/);
    const malformed = await t.app.inject({ method: 'POST', url: '/admin/aggregate?period=March', headers: ADMIN });
    assert.equal(malformed.statusCode, 422);
    const anonymous = await t.app.inject({ method: 'POST', url: '/admin/aggregate' });
    assert.equal(anonymous.statusCode, 401);
  });
});
