/**
 * `npm run import:original`: a database with the original backend's schema (from the contract), filled with
 * rows made with the contract's formulas, imported into a fresh one of ours; then the app's calls on it.
 * The source is always PostgreSQL: TEST_DATABASE_URL's server, or without it the local server at
 * postgres://postgres@127.0.0.1:5432/postgres when it answers (else the suite is skipped, saying so). The
 * target is the backend the suite runs on (SQLite or PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { OriginalImportRepository } from '../../src/db/repositories/original-import.js';
import { OriginalSourceRepository } from '../../src/db/repositories/original-source.js';
import { PersonalDataRepository } from '../../src/db/repositories/personal-data.js';
import { UserRepository } from '../../src/db/repositories/users.js';
import { OriginalImportService, type ImportOptions } from '../../src/services/import-original.js';
import { TEST_SECRETS, createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser, uniqueIp } from '../helpers/auth.js';
import { FakeClock } from '../helpers/clock.js';
import { TEST_DATABASE_URL, backend } from '../helpers/database.js';
import { createOriginalDatabase, originalHash, reachable, type OriginalDatabase } from '../helpers/original-backend.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const sourceServer = TEST_DATABASE_URL ?? ((await reachable(LOCAL_SERVER)) ? LOCAL_SERVER : null);
const skip = sourceServer === null ? 'the original is a PostgreSQL database: set TEST_DATABASE_URL or start PostgreSQL on 127.0.0.1:5432' : false;

const SECRET = TEST_SECRETS.EMAIL_HASH_SECRET;
/** The contract's §4 worked example: key "s"*32, user 3f2b8c1e-…, issued 2026-08-14T12:00:00Z, 90 days. */
const ORIGINAL_SECRET_KEY = 's'.repeat(32);
const ORIGINAL_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjJiOGMxZS05YTRkLTRlN2ItOGMyMS01ZDZmN2E4YjljMGQiLCJleHAiOjE3OTQ0ODQ4MDAsInR5cGUiOiJhY2Nlc3MiLCJhdXRoX3RpbWUiOjE3ODY3MDg4MDB9.oPjZ7ESk3LNchR0lHdBLCvb-rnowvrUmofOsOzMJch4';
const DOCTOR = { id: '3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d', email: 'doctor@example.org' };
const APPLE = { id: '5a1c2b3d-0000-4000-8000-00000000a001', sub: '001234.abcdef0123456789.1200' };
const LEGACY = { id: '5a1c2b3d-0000-4000-8000-00000000a002', email: 'legacy@example.org' };
const NOW = '2026-08-20T10:00:00Z';

/** Rows of every kind the import reads, made with the contract's formulas. */
async function fill(source: OriginalDatabase): Promise<void> {
  const q = source.query;
  const user = `insert into users (user_id, email_hash, hospital_id, specialty, role_level, state_code, country_code, created_at, updated_at,
      terms_accepted_version, privacy_accepted_version, consent_accepted_at, profession, seniority, department_group, specialization_code,
      hospital_ref_id, auth_provider, provider_sub) values ($1,$2,$3,$4,$5,$6,'DEU',$7,$7,$8,$8,$9,$10,$11,$12,$13,$14,$15,$16)`;
  await q(user, [DOCTOR.id, originalHash(SECRET, DOCTOR.email), 'not_specified', 'innere_medizin', 'facharzt', 'BY', '2026-02-01T08:00:00.123456Z', '2026-05', '2026-05-20T09:00:00Z', 'physician', 'facharzt', 'innere_medizin', '0300', 1042, null, null]);
  await q(user, [APPLE.id, null, 'not_specified', 'chirurgie', 'not_specified', 'BE', '2026-05-10T08:00:00Z', '2026-05', '2026-05-10T08:00:00Z', 'nurse', 'leitung', 'chirurgie', null, null, 'apple', APPLE.sub]);
  // A v1 registration: free-text profile, no v2 fields, no consent, a state stored unchecked.
  await q(user, [LEGACY.id, originalHash(SECRET, LEGACY.email), 'charite-berlin', 'Internal Medicine', 'resident', '', '2025-12-10T08:00:00Z', null, null, null, null, null, null, null, null, null]);

  const week = `insert into finalized_user_weeks (finalized_week_id, user_id, week_start, week_end, planned_hours, actual_hours, hospital_id, specialty,
      role_level, state_code, country_code, profession, seniority, department_group, specialization_code, hospital_ref_id, finalized_at)
      values ($1,$2,$3,$4,$5,$6,'not_specified','innere_medizin','assistenzarzt','BY','DEU','physician','assistenzarzt','innere_medizin',null,1042,$7)`;
  // Snapshots differ from the current profile (facharzt) on purpose (§6.6); 47.125 was stored as 47.13.
  await q(week, ['00000000-0000-4000-8000-0000000000f1', DOCTOR.id, '2026-07-27', '2026-08-02', '40.56', '47.13', '2026-08-02T18:30:00Z']);
  await q(week, ['00000000-0000-4000-8000-0000000000f2', DOCTOR.id, '2026-08-03', '2026-08-09', '38.50', '52.00', '2026-08-09T19:00:00Z']);
  await q(`insert into work_events values ($1,$2,'2026-08-12','8.00','8.13','geofence','2026-08-13T06:00:00Z')`, ['00000000-0000-4000-8000-0000000000e1', DOCTOR.id]);
  await q(`insert into user_privacy_ledger values ($1,$2,'2026-07-27','state_specialty_v1','DEU/BY/innere_medizin','0.800','2026-08-04T03:00:00Z')`, [
    '00000000-0000-4000-8000-0000000000d1',
    DOCTOR.id,
  ]);
  // A first code request (15 minutes, attempt 0): what the secret and the time zone are checked against.
  await q(`insert into verification_requests values ($1,$2,'example.org',$3,$4,null,'pending',0,$5)`, [
    '00000000-0000-4000-8000-0000000000c1',
    originalHash(SECRET, DOCTOR.email),
    originalHash(SECRET, '000042'),
    '2026-08-19T10:15:00Z',
    '2026-08-19T10:00:00Z',
  ]);
  const feedback = `insert into feedback_reports (report_id, user_id, description, app_state, created_at, resolved) values ($1,$2,$3,$4,$5,'pending')`;
  await q(feedback, [
    '00000000-0000-4000-8000-0000000000b1',
    DOCTOR.id,
    'Sync fails. Write to me at doctor@example.org or +49 170 1234567',
    JSON.stringify({
      diagnostics: { scope: 'standard', include_location_diagnostics: false, feature_area: 'sync' },
      locations: { count: 1, details: [{ name: 'Klinikum', latitude: 48.137154, longitude: 11.576124 }] },
      work_events: { total: 3, pending: 1, last_submission: null },
      app: { version: '2.1.4', build_number: '42', platform: 'ios', device_model: 'iPhone15,2', os_version: '18.1' },
      gps_telemetry: null,
    }),
    '2026-08-01T12:00:00Z',
  ]);
  await q(feedback, ['00000000-0000-4000-8000-0000000000b2', null, 'old report', '{}', '2026-04-01T12:00:00Z']);
  const stat = `insert into stats_by_state_specialty (stat_id, country_code, state_code, specialty, role_level, period_start, period_end, n_users,
      avg_planned_hours_noised, avg_actual_hours_noised, avg_overtime_hours_noised, publication_status, planned_ci_half, actual_ci_half,
      overtime_ci_half, n_display, k_min_threshold, noise_epsilon, computed_at) values ($1,'DEU','BY',$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,'1.00','2026-08-05T03:00:00Z')`;
  await q(stat, ['00000000-0000-4000-8000-0000000000a1', 'innere_medizin', 'all', '2026-07-27', '2026-08-02', 12, '41.20', '50.30', '9.10', 'published', '3.10', '3.40', '6.50', 10, 5]);
  await q(stat, ['00000000-0000-4000-8000-0000000000a2', 'chirurgie', 'all', '2026-07-27', '2026-08-02', 6, null, null, null, 'warming_up', null, null, null, null, 5]);
  await q(stat, ['00000000-0000-4000-8000-0000000000a3', 'Internal Medicine', 'resident', '2026-01-05', '2026-01-11', 11, '45.00', '55.00', '10.00', 'published', null, null, null, null, 11]);
  await q(stat, ['00000000-0000-4000-8000-0000000000a4', 'innere_medizin', 'all', '2026-08-03', '2026-08-09', 4, '40.00', '50.00', '10.00', 'published', '3.00', '3.00', '6.00', 5, 5]);
}

function importer(t: TestApp, source: OriginalDatabase, config: Partial<Config> = {}) {
  const repository = new OriginalSourceRepository(source.url);
  const service = new OriginalImportService({
    config: { ...t.config, ...config },
    clock: t.clock,
    source: repository,
    target: new OriginalImportRepository(t.database.db),
    users: new UserRepository(t.database.db),
    personalData: new PersonalDataRepository(t.database.db),
  });
  return {
    run: async (options: ImportOptions = {}) => {
      try {
        return await service.run(options);
      } finally {
        await repository.close();
      }
    },
  };
}

const tableCounts = (report: Awaited<ReturnType<OriginalImportService['run']>>) =>
  Object.fromEntries(report.tables.map((table) => [table.table, [table.source, table.target, table.imported]]));

describe(`importing the original backend (target ${backend})`, { skip }, () => {
  let t: TestAppWithSmtp;
  let source: OriginalDatabase;
  before(async () => {
    source = await createOriginalDatabase(sourceServer!);
    await fill(source);
    t = await createTestAppWithSmtp({ clock: new FakeClock(NOW), env: { ORIGINAL_SECRET_KEY } });
  });
  after(async () => {
    await t?.close();
    await source?.drop();
  });

  test('a dry run reports what would be imported and writes nothing', async () => {
    const report = await importer(t, source).run({ dryRun: true });
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.tables.find((x) => x.table === 'users')!.imported, 3);
    const users = await t.database.db.selectFrom('users').select('id').execute();
    assert.equal(users.length, 0);
  });

  test('the import carries every kind of row, with counts that match on both sides', async () => {
    // One row per batch: every batch boundary, the read-ahead and the concurrent writers are crossed.
    const report = await importer(t, source).run({ batchSize: 1 });
    assert.deepEqual(report.mismatches, []);
    assert.match(report.secretCheck, /code hash/);
    assert.deepEqual(tableCounts(report), {
      users: [3, 3, 3],
      social_identities: [1, 1, 1],
      finalized_weeks: [2, 2, 2],
      work_events: [1, 1, 1],
      imported_privacy_ledger: [1, 1, 1],
      feedback: [1, 1, 1],
      imported_statistics: [2, 2, 2],
    });
    // Hours to minutes: 8.13 h is 487.8 minutes.
    const event = await t.database.db.selectFrom('work_events').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([event.planned_minutes, event.actual_minutes, event.date], [480, 488, '2026-08-12']);
    // Feedback scrubbed as if sent today, unlinked, without the locations the sender did not opt in to.
    const feedback = await t.database.db.selectFrom('feedback').selectAll().executeTakeFirstOrThrow();
    assert.equal(feedback.user_id, null);
    assert.equal(feedback.description, 'Sync fails. Write to me at [email removed] or [phone removed]');
    assert.equal(feedback.app_version, '2.1.4');
    assert.doesNotMatch(JSON.stringify(feedback.app_state), /Klinikum|48\.1/);
    // Only what the original's public API showed, labelled with its method; the unpublished rows stay behind.
    const stats = await t.database.db.selectFrom('imported_statistics').selectAll().orderBy('period_start').execute();
    assert.deepEqual(
      stats.map((s) => [s.id.slice(-2), s.method, s.planned_mean_hours, s.overtime_mean_hours, s.n_display]),
      [
        ['a3', 'original-legacy-v0', 45, 10, null],
        ['a1', 'original-weekly-laplace-v1', 41.2, 9.1, 10],
      ],
    );
    // The legacy state "" is not a state.
    const legacy = await t.database.db.selectFrom('users').selectAll().where('id', '=', LEGACY.id).executeTakeFirstOrThrow();
    assert.equal(legacy.state_code, null);
    assert.equal(legacy.specialty, 'Internal Medicine');
  });

  test("one of the original's addresses signs in with a mailed code to its account, profile and weeks", async () => {
    const remoteAddress = uniqueIp();
    const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload, remoteAddress });
    assert.equal((await post('/verification/request', { email: ' Doctor@Example.ORG ' })).statusCode, 202);
    const login = await post('/auth/login', { email: DOCTOR.email, code: t.smtp.lastCodeFor(DOCTOR.email) });
    assert.equal(login.statusCode, 200, login.body);
    assert.equal(login.json().user_id, DOCTOR.id);
    const token = login.json().access_token;

    const me = (await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).json();
    assert.equal(me.user_id, DOCTOR.id);
    assert.equal(me.profession, 'physician');
    assert.equal(me.seniority, 'facharzt');
    assert.equal(me.specialization_code, '0300');
    assert.equal(me.hospital_ref_id, 1042);
    assert.equal(me.state_code, 'BY');
    assert.equal(me.created_at.slice(0, 19), '2026-02-01T08:00:00');
    assert.equal(me.consent_required, false);

    const weeks = await t.app.inject({ method: 'GET', url: '/finalized-weeks', headers: bearer(token) });
    assert.equal(weeks.statusCode, 200, weeks.body);
    const body = weeks.json();
    const list = Array.isArray(body) ? body : (body.weeks ?? body.items);
    assert.deepEqual(
      list.map((w: { week_start: string; planned_hours: number; actual_hours: number; seniority: string }) => [w.week_start, w.planned_hours, w.actual_hours, w.seniority]),
      [
        ['2026-08-03', 38.5, 52, 'assistenzarzt'],
        ['2026-07-27', 40.56, 47.13, 'assistenzarzt'],
      ],
    );
  });

  test("a token in the original's format is accepted and refreshed into one of ours", async () => {
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(ORIGINAL_TOKEN) });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().user_id, DOCTOR.id);

    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: bearer(ORIGINAL_TOKEN), remoteAddress: uniqueIp() });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const token = refreshed.json().access_token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, DOCTOR.id);
    assert.equal(claims.typ, 'access');
    assert.equal(claims.auth_time, 1786708800, 'the session still started at the original sign-in');
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).statusCode, 200);

    // The same claims signed with another key, or past their expiry, are refused.
    const [header, payload] = ORIGINAL_TOKEN.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(32).toString('base64url')}`;
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(forged) })).statusCode, 401);
    const clock = t.clock;
    const saved = clock.now();
    clock.set('2026-11-12T12:00:01Z');
    try {
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(ORIGINAL_TOKEN) })).statusCode, 401);
    } finally {
      clock.set(saved);
    }
  });

  test("the ε the original charged a person stays visible: /auth/me/privacy and the export", async () => {
    const privacy = await t.app.inject({ method: 'GET', url: '/auth/me/privacy', headers: bearer(ORIGINAL_TOKEN) });
    assert.equal(privacy.statusCode, 200, privacy.body);
    assert.deepEqual(privacy.json(), {
      releases: [],
      imported_releases: [{ week_start: '2026-07-27', cell_key: 'DEU/BY/innere_medizin', epsilon: 0.8, recorded_at: '2026-08-04T03:00:00.000Z' }],
      epsilon_by_year: [{ year: '2026', releases: 1, epsilon: 0.8 }],
    });
    const exported = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(ORIGINAL_TOKEN) });
    assert.equal(exported.statusCode, 200, exported.body);
    assert.deepEqual(exported.json().imported_privacy_ledger, [
      { period_start: '2026-07-27', cell_key: 'DEU/BY/innere_medizin', epsilon: 0.8, recorded_at: '2026-08-04T03:00:00.000Z' },
    ]);
  });

  test("the original's published statistics are served read-only at /stats/original, labelled, apart from ours", async () => {
    const all = await t.app.inject({ method: 'GET', url: '/stats/original' });
    assert.equal(all.statusCode, 200, all.body);
    assert.equal(all.headers['x-total-count'], '2');
    // Only what the original showed as published (a2 was warming up, a4 under its k), newest week first.
    assert.deepEqual(
      all.json().map((r: { stat_id: string; method: string; period_start: string; specialty: string }) => [r.stat_id.slice(-2), r.method, r.period_start, r.specialty]),
      [
        ['a1', 'original-weekly-laplace-v1', '2026-07-27', 'innere_medizin'],
        ['a3', 'original-legacy-v0', '2026-01-05', 'Internal Medicine'],
      ],
    );
    const [weekly] = all.json();
    assert.equal(weekly.period_end, '2026-08-02');
    assert.equal(weekly.planned_mean_hours, 41.2);
    assert.equal(weekly.overtime_mean_hours, 9.1);
    assert.equal(weekly.actual_ci_half, 3.4);
    assert.equal(weekly.n_display, 10);
    assert.equal('avg_actual_hours_noised' in weekly || 'n_users' in weekly, false, 'the figures the original kept confidential stay so');

    const filtered = await t.app.inject({ method: 'GET', url: '/stats/original?state_code=BY&period_start=2026-07-27&method=original-weekly-laplace-v1' });
    assert.deepEqual(filtered.json().map((r: { stat_id: string }) => r.stat_id.slice(-2)), ['a1']);
    const none = await t.app.inject({ method: 'GET', url: '/stats/original?state_code=BE' });
    assert.deepEqual(none.json(), []);
    assert.equal(none.headers['x-total-count'], '0');

    const csv = await t.app.inject({ method: 'GET', url: '/stats/original?method=original-legacy-v0', headers: { accept: 'text/csv' } });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0]!.split(',')[1], 'method');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /original-legacy-v0,DEU,BY,Internal Medicine,/);

    const bad = await t.app.inject({ method: 'GET', url: '/stats/original?period_start=2026-13-45' });
    assert.equal(bad.statusCode, 422);
    assert.equal(typeof bad.json().detail, 'string');
    // Never mixed with ours: our monthly statistics hold none of the imported rows.
    const ours = await t.app.inject({ method: 'GET', url: '/stats/by-state-specialty' });
    assert.deepEqual(ours.json(), []);
  });

  test('a second run changes nothing', async () => {
    const snapshot = async () => ({
      users: await t.database.db.selectFrom('users').selectAll().orderBy('id').execute(),
      weeks: await t.database.db.selectFrom('finalized_weeks').selectAll().orderBy('id').execute(),
      events: await t.database.db.selectFrom('work_events').selectAll().orderBy('id').execute(),
      stats: await t.database.db.selectFrom('imported_statistics').selectAll().orderBy('id').execute(),
    });
    const before = await snapshot();
    const report = await importer(t, source).run();
    assert.deepEqual(report.mismatches, []);
    assert.deepEqual(report.tables.map((x) => x.imported), [0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(await snapshot(), before);
  });

  test('a user deleted in the original since the last run is erased here; one erased here is not re-imported', async () => {
    await source.query('delete from users where user_id = $1', [APPLE.id]);
    const report = await importer(t, source).run();
    assert.equal(report.erasedSinceLastRun, 1);
    assert.deepEqual(report.mismatches, []);
    assert.equal(await new UserRepository(t.database.db).findById(APPLE.id), undefined);
    // A deleted user's token dies with them.
    const me = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(ORIGINAL_TOKEN) });
    assert.equal(me.statusCode < 300, true, me.body);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(ORIGINAL_TOKEN) })).statusCode, 401);
    const again = await importer(t, source).run();
    assert.deepEqual(again.mismatches, []);
    assert.equal(await new UserRepository(t.database.db).findById(DOCTOR.id), undefined);
  });

  test('refuses a wrong EMAIL_HASH_SECRET', async () => {
    await assert.rejects(importer(t, source, { emailHashSecret: 'x'.repeat(40) }).run(), /EMAIL_HASH_SECRET is not the original's/);
  });

  test('refuses an unknown revision and a column that is not documented', async () => {
    await source.query(`update alembic_version set version_num = 'k1l2m3n4o5p6'`);
    await assert.rejects(importer(t, source).run(), /revision k1l2m3n4o5p6; this import reads revision l2m3n4o5p6q7 only/);
    await source.query(`update alembic_version set version_num = 'l2m3n4o5p6q7'`);
    await source.query('alter table feedback_reports add column user_email varchar(255)');
    try {
      await assert.rejects(importer(t, source).run(), /feedback_reports\.user_email is not expected/);
    } finally {
      await source.query('alter table feedback_reports drop column user_email');
    }
  });
});

describe(`the import refuses a target that holds other accounts (target ${backend})`, { skip }, () => {
  let t: TestApp;
  let source: OriginalDatabase;
  before(async () => {
    source = await createOriginalDatabase(sourceServer!);
    await fill(source);
    t = await createTestApp({ clock: new FakeClock(NOW) });
  });
  after(async () => {
    await t?.close();
    await source?.drop();
  });

  test('refuses, and writes nothing', async () => {
    await createRegisteredUser(t);
    await assert.rejects(importer(t, source).run(), /already holds 1 account\(s\) that were not imported/);
    const users = await t.database.db.selectFrom('users').select('id').execute();
    assert.equal(users.length, 1);
  });
});
