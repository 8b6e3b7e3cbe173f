/**
 * The shipped app (v2.1.x) end to end, exactly as it talks to the server (contract mobile-app-v2.md §5):
 * the same calls in the same order, with the bodies and headers of the contract's tables — keys absent or
 * null where the app leaves them so — and the real SMTP server delivering the codes. Every check is one the
 * app itself makes on the answer (§4), plus what the user would see afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { APP_REGISTRATION, CONSENT, PROFILE, bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';
import { FakeClock } from '../helpers/clock.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';
import { addCell, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

/** The phone's address: every call of one phone comes from it (per-IP limits apply to it as a whole). */
const PHONE = '203.0.113.7';
/** Sunday 29 November 2026, 18:30 in Berlin: the first moment the app sends the current week (§6). */
const SUNDAY_EVENING = '2026-11-29T17:30:00Z';

/** The keys of the app's `UserOut` (§3); the app reads every one. */
const USER_OUT_KEYS = [
  'user_id',
  'hospital_id',
  'specialty',
  'role_level',
  'state_code',
  'created_at',
  'profession',
  'seniority',
  'department_group',
  'specialization_code',
  'hospital_ref_id',
  'terms_accepted_version',
  'privacy_accepted_version',
  'consent_accepted_at',
];

/** The app calls `response.json()` on every answer it reads: it must be JSON with the right type. */
function json(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  assert.match(String(res.headers['content-type']), /^application\/json/, `${res.statusCode} ${res.body}`);
  return JSON.parse(res.body);
}

/** A token answer as the app reads it (§2): `access_token` and a parsable, distant `expires_at`. */
function assertTokenAnswer(body: Record<string, unknown>, now: Date) {
  assert.equal(typeof body.access_token, 'string');
  assert.equal(body.token_type, 'bearer');
  assert.match(String(body.user_id), /^[0-9a-f-]{36}$/);
  const expiresAt = new Date(String(body.expires_at)).getTime();
  assert.ok(expiresAt - now.getTime() > 7 * 24 * 3600 * 1000, 'well above the 7 days after which the app refreshes on every foreground');
}

describe(`the mobile app v2.1.x, end to end (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp({ clock: new FakeClock(SUNDAY_EVENING), env: { TIMEZONE: 'Europe/Berlin', ...CERTAIN_DISPLAY_ENV } });
  });
  after(async () => t.close());

  /** A request as the app makes it: from the phone, JSON bodies, the headers of §4. */
  const app = (method: InjectOptions['method'], url: string, options: { token?: string; payload?: unknown; contentTypeOnGet?: boolean } = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.payload !== undefined || options.contentTypeOnGet) headers['content-type'] = 'application/json';
    return t.app.inject({
      method,
      url,
      headers,
      remoteAddress: PHONE,
      ...(options.payload !== undefined ? { payload: JSON.stringify(options.payload) } : {}),
    });
  };

  test('registration, consent, refresh, profile, weeks, insights, report, export and deletion (§5)', async () => {
    // Colleagues in the same cell (Berlin, internal medicine) sent their October weeks, and October is
    // published: so the insights card has something to show. The card's row is displayed when its noisy
    // count reaches its threshold and its intervals are within ±10 h; at EPSILON=10 (CERTAIN_DISPLAY_ENV)
    // a row of 45 people always is, so the test is deterministic. Three send their weeks through the app;
    // the others' complete weeks are seeded as confirmed days, which count the same.
    await addCell(t.database.db, { period: '2026-10', state_code: 'BE', specialty: 'innere_medizin', users: 42, actual: 630, planned: 480 });
    for (let i = 0; i < 3; i++) {
      const { token } = await createRegisteredUser(t, { profile: PROFILE });
      for (const week_start of ['2026-10-05', '2026-10-12']) {
        const sent = await t.app.inject({ method: 'POST', url: '/finalized-weeks', headers: bearer(token), payload: { week_start, planned_hours: 40, actual_hours: 52.5 } });
        assert.equal(sent.statusCode, 201, sent.body);
      }
    }
    const aggregation = await t.app.services.aggregation.run({ trigger: 'cli' });
    assert.equal(aggregation.status, 'success', aggregation.message);

    const email = 'dr.weber@klinik.example';

    // Registration: request a code (§4.1), confirm it (§4.2).
    const requested = await app('POST', '/verification/request', { payload: { email } });
    assert.equal(requested.statusCode, 202);
    json(requested);
    const code = t.smtp.lastCodeFor(email);
    const confirmed = await app('POST', '/verification/confirm', { payload: { email, code } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    json(confirmed);

    // Profile form and consent sheet, then register without a token (§4.3): a listed hospital, so
    // hospital_id is not_specified; no specialization code (the screen never sends one).
    const registered = await app('POST', '/auth/register', {
      payload: { email, ...APP_REGISTRATION, hospital_ref_id: 412 },
    });
    assert.equal(registered.statusCode, 201, registered.body);
    const session = json(registered);
    assertTokenAnswer(session, t.clock.now());
    let token: string = session.access_token;

    // GET /auth/me right after (§4.6): the app sends Content-Type on this GET.
    const me = await app('GET', '/auth/me', { token, contentTypeOnGet: true });
    assert.equal(me.statusCode, 200, me.body);
    const user = json(me);
    for (const key of USER_OUT_KEYS) assert.ok(key in user, `UserOut has ${key}`);
    assert.equal(user.user_id, session.user_id);
    assert.equal(user.hospital_ref_id, 412);
    assert.equal(user.specialization_code, null, 'null, not absent');
    assert.equal(user.specialty, 'innere_medizin', 'the insights card needs a non-empty specialty');
    assert.equal(user.state_code, 'BE');
    // The consent gate (§7) passes: the versions are echoed as sent and consent has a time.
    assert.deepEqual([user.terms_accepted_version, user.privacy_accepted_version], ['2026-05', '2026-05']);
    assert.ok(!Number.isNaN(new Date(user.consent_accepted_at).getTime()));
    assert.ok(!Number.isNaN(new Date(user.created_at).getTime()));

    // The consent sheet (§4.8) then GET /auth/me.
    const consented = await app('POST', '/auth/consent', { token, payload: { terms_version: '2026-05', privacy_version: '2026-05' } });
    assert.equal(consented.statusCode, 200, consented.body);
    assert.deepEqual(Object.keys(json(consented)).filter((k) => USER_OUT_KEYS.includes(k)).sort(), [...USER_OUT_KEYS].sort());
    assert.equal((await app('GET', '/auth/me', { token, contentTypeOnGet: true })).statusCode, 200);

    // The send routine (§6) starts with a refresh: Bearer only, no body, no Content-Type (§4.5).
    t.clock.advance(60_000);
    const refreshed = await app('POST', '/auth/refresh', { token });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const renewed = json(refreshed);
    assertTokenAnswer(renewed, t.clock.now());
    assert.ok(new Date(renewed.expires_at) > new Date(session.expires_at), 'a fresh lifetime');
    token = renewed.access_token;

    // Profile screen "Save" (§4.7): only the keys the screen has; "Other (not listed)" is null.
    const saved = await app('PATCH', '/auth/me/profile', {
      token,
      payload: { state_code: 'BE', hospital_ref_id: null, profession: 'physician', seniority: 'facharzt', department_group: 'innere_medizin' },
    });
    assert.equal(saved.statusCode, 200, saved.body);
    const profile = json(saved);
    assert.equal(profile.hospital_ref_id, null);
    assert.equal(profile.seniority, 'facharzt');
    assert.equal(profile.specialty, 'innere_medizin');

    // Weeks (§4.11, §6): two past weeks, then the current one on Sunday evening, oldest first.
    const weeks = [
      { week_start: '2026-11-09', planned_hours: 40, actual_hours: 51.25 },
      { week_start: '2026-11-16', planned_hours: 38.5, actual_hours: 49.33 },
      { week_start: '2026-11-23', planned_hours: 40, actual_hours: 46.17 },
    ];
    for (const week of weeks) {
      const sent = await app('POST', '/finalized-weeks', { token, payload: week });
      assert.equal(sent.statusCode, 201, `${week.week_start}: ${sent.body}`);
      const body = json(sent);
      assert.match(body.finalized_week_id, /^[0-9a-f-]{36}$/);
      assert.deepEqual([body.week_start, body.planned_hours, body.actual_hours], [week.week_start, week.planned_hours, week.actual_hours]);
    }
    // A lost answer: the app sends the week again and relies on 409 (never 200) to settle it.
    const again = await app('POST', '/finalized-weeks', { token, payload: weeks[1] });
    assert.equal(again.statusCode, 409);
    assert.equal(json(again).detail, 'Week starting 2026-11-16 has already been finalized.');

    // The insights card (§4.12): no token, the stored user's state and specialty, limit=1.
    const insights = await app('GET', `/stats/by-state-specialty?country_code=DEU&state_code=${profile.state_code}&specialty=${encodeURIComponent(profile.specialty)}&limit=1`);
    assert.equal(insights.statusCode, 200);
    const rows = json(insights);
    assert.ok(Array.isArray(rows) && rows.length === 1, insights.body);
    const card = rows[0];
    assert.equal(card.status, 'published');
    for (const key of ['planned_mean_hours', 'overtime_mean_hours', 'planned_ci_half', 'actual_ci_half', 'overtime_ci_half', 'n_display']) {
      assert.ok(Number.isFinite(card[key]), `${key} is a finite number`);
    }
    for (const key of ['planned_ci_half', 'actual_ci_half', 'overtime_ci_half']) assert.ok(card[key] >= 0, key);
    assert.ok(card.n_display >= 10);
    assert.deepEqual([card.period_start, card.period_end], ['2026-10-01', '2026-10-31']);

    // "Report an issue" (§4.13): no token, every key present, the unverified user id in the body.
    const reported = await app('POST', '/feedback', {
      payload: {
        user_id: user.user_id,
        hospital_id: null,
        specialty: null,
        role_level: null,
        state_code: null,
        include_location_diagnostics: false,
        diagnostics_scope: 'standard',
        feature_area: 'settings',
        locations_count: 2,
        locations_details: null,
        work_events_total: 37,
        work_events_pending: 0,
        last_submission: null,
        app_version: '2.1.4',
        build_number: '72',
        platform: 'iOS',
        device_model: 'iPhone15,2',
        os_version: '18.1',
        gps_telemetry: {
          recent_events: [
            { timestamp: '2026-11-27T06:58:12.000Z', event_type: 'enter', accuracy_meters: 12.5, accuracy_source: 'event', ignored: false, ignore_reason: null },
            { timestamp: '2026-11-27T17:40:03.000Z', event_type: 'exit', accuracy_meters: null, accuracy_source: null, ignored: true, ignore_reason: 'debounced' },
          ],
          accuracy_stats: { min: 12.5, max: 12.5, avg: 12.5, count: 1 },
          ignored_events_count: 1,
          signal_degradation_count: 0,
          debounced_events_count: 1,
        },
        description: 'Die Wochenübersicht zeigt Sonntag doppelt.',
      },
    });
    assert.ok(reported.statusCode >= 200 && reported.statusCode < 300, reported.body);
    json(reported);

    // "Export my data" (§4.9): JSON, with the weeks just sent.
    const exported = await app('GET', '/auth/me/export', { token });
    assert.equal(exported.statusCode, 200);
    const data = json(exported);
    assert.deepEqual(
      data.finalized_weeks.map((w: { week_start: string }) => w.week_start).sort(),
      weeks.map((w) => w.week_start),
    );

    // "Delete account" (§4.10): 2xx, and the old token is refused afterwards.
    const deleted = await app('DELETE', '/auth/me', { token });
    assert.equal(deleted.statusCode, 204);
    const gone = await app('GET', '/auth/me', { token, contentTypeOnGet: true });
    assert.equal(gone.statusCode, 401);
    assert.equal(typeof json(gone).detail, 'string');
    const weeksLeft = await t.database.db.selectFrom('finalized_weeks').select('id').where('user_id', '=', user.user_id).execute();
    assert.equal(weeksLeft.length, 0, 'the weeks went with the account');
  });

  test('a returning user signs in; an unknown address is offered registration (§4.4)', async () => {
    const email = 'dr.yilmaz@klinik.example';
    const { user } = await createRegisteredUser(t, { email, profile: { ...PROFILE, state_code: 'HH' } });

    assert.equal((await app('POST', '/verification/request', { payload: { email } })).statusCode, 202);
    const login = await app('POST', '/auth/login', { payload: { email, code: t.smtp.lastCodeFor(email) } });
    assert.equal(login.statusCode, 200, login.body);
    const session = json(login);
    assertTokenAnswer(session, t.clock.now());
    assert.equal(session.user_id, user.id);
    const me = await app('GET', '/auth/me', { token: session.access_token, contentTypeOnGet: true });
    assert.equal(json(me).state_code, 'HH');

    const stranger = `new-${randomUUID().slice(0, 8)}@klinik.example`;
    assert.equal((await app('POST', '/verification/request', { payload: { email: stranger } })).statusCode, 202);
    const unknown = await app('POST', '/auth/login', { payload: { email: stranger, code: t.smtp.lastCodeFor(stranger) } });
    assert.ok(unknown.statusCode >= 400 && unknown.statusCode < 500);
    const detail = json(unknown).detail;
    assert.equal(typeof detail, 'string');
    assert.ok(detail.includes('register first') || detail.includes('not found'), `the app offers "Register" on: ${detail}`);

    // Registering from there works without another code: the login proved the address.
    const registered = await app('POST', '/auth/register', {
      payload: {
        email: stranger,
        hospital_id: 'Klinikum Nord (fehlt in der Liste)',
        specialty: 'not_specified',
        role_level: 'not_specified',
        profession: 'other',
        hospital_ref_id: null,
        ...CONSENT,
      },
    });
    assert.equal(registered.statusCode, 201, registered.body);
    const other = json(await app('GET', '/auth/me', { token: json(registered).access_token, contentTypeOnGet: true }));
    assert.deepEqual(
      [other.profession, other.seniority, other.state_code, other.department_group, other.hospital_id, other.hospital_ref_id],
      ['other', null, null, null, 'Klinikum Nord (fehlt in der Liste)', null],
    );
  });
});
