/**
 * "Report an issue" from the shipped mobile app (contract §4.13): the app's exact body, without a token.
 * What is stored is read back the way operators and users see it: the admin API and the user's export.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EMAIL_PLACEHOLDER } from '../../src/services/scrub.js';
import { basicAuth } from '../helpers/admin-seed.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser, uniqueIp } from '../helpers/auth.js';
import { MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

const PASSWORD = 'admin-test-password';
const ADMIN = { authorization: basicAuth('admin', PASSWORD) };
const ANSWER = { success: true, message: 'Thank you! Your feedback has been submitted.' };

const CHARITE = { name: 'Charité Mitte', latitude: 52.5262449, longitude: 13.3766667 };
const VIRCHOW = { name: 'Virchow-Klinikum', latitude: 52.5424, longitude: 13.3431 };

interface AppBodyOptions {
  userId?: string | null;
  description?: string | null;
  optedIn?: boolean;
  /** Defaults to what the app sends: "location" exactly when opted in. */
  scope?: string;
  /** Sent although not opted in, to prove the server drops them. */
  locations?: { name: string; latitude: number; longitude: number }[] | null;
  eventLocationName?: string;
  events?: number;
}

/** The app's body as §4.13 describes it: every key present, in the app's types. */
function appBody(options: AppBodyOptions = {}) {
  const optedIn = options.optedIn ?? false;
  const events = Array.from({ length: options.events ?? 3 }, (_, i) => ({
    timestamp: new Date(Date.UTC(2026, 2, 14, 7, i)).toISOString(),
    event_type: i % 2 === 0 ? 'enter' : 'exit',
    accuracy_meters: i === 1 ? null : 12.5 + i,
    accuracy_source: i === 1 ? null : i === 2 ? 'active_fetch' : 'event',
    ignored: i === 2,
    ignore_reason: i === 2 ? 'debounced' : null,
    ...(options.eventLocationName === undefined ? {} : { location_name: options.eventLocationName }),
  }));
  return {
    user_id: options.userId === undefined ? randomUUID() : options.userId,
    hospital_id: null,
    specialty: null,
    role_level: null,
    state_code: null,
    include_location_diagnostics: optedIn,
    diagnostics_scope: options.scope ?? (optedIn ? 'location' : 'standard'),
    feature_area: 'settings',
    locations_count: 2,
    locations_details: options.locations === undefined ? (optedIn ? [CHARITE, VIRCHOW] : null) : options.locations,
    work_events_total: 37,
    work_events_pending: 0,
    last_submission: null,
    app_version: '2.1.4',
    build_number: '72',
    platform: 'iOS',
    device_model: 'iPhone 15',
    os_version: '17.4',
    gps_telemetry: {
      recent_events: events,
      accuracy_stats: { min: 12.5, max: 14.5, avg: 13.5, count: 2 },
      ignored_events_count: 1,
      signal_degradation_count: 0,
      debounced_events_count: 1,
    },
    description: options.description === undefined ? 'Geofence does not trigger at the Virchow site.' : options.description,
  };
}

describe(`POST /feedback with the mobile app's body (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD } });
  });
  after(async () => t.close());

  const send = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/feedback', payload: payload as object, headers, remoteAddress: uniqueIp() });
  /** The newest report as the admin API shows it. */
  const newestReport = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/feedback?limit=1', headers: ADMIN });
    assert.equal(res.statusCode, 200);
    return res.json().reports[0];
  };
  const countReports = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/feedback?limit=500', headers: ADMIN });
    return res.json().reports.length as number;
  };
  /** Each report a minute after the previous one, so "newest" is unambiguous. */
  const sendApp = async (options: AppBodyOptions = {}, headers: Record<string, string> = {}) => {
    t.clock.advance(MINUTE);
    const res = await send(appBody(options), headers);
    assert.equal(res.statusCode, 201, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), ANSWER);
    return newestReport();
  };

  test('the exact app body with a text, without a token: 201 JSON; metadata and diagnostics stored', async () => {
    const report = await sendApp();
    assert.equal(report.description, 'Geofence does not trigger at the Virchow site.');
    assert.equal(report.user, null, 'not linked to anyone');
    assert.deepEqual(
      [report.app_version, report.build_number, report.platform, report.device_model, report.os_version],
      ['2.1.4', '72', 'iOS', 'iPhone 15', '17.4'],
    );
    const diagnostics = report.app_state.app_diagnostics;
    assert.equal(diagnostics.feature_area, 'settings');
    assert.equal(diagnostics.diagnostics_scope, 'standard');
    assert.equal(diagnostics.include_location_diagnostics, false);
    assert.equal(diagnostics.locations_count, 2);
    assert.equal(diagnostics.work_events_total, 37);
    assert.equal(diagnostics.work_events_pending, 0);
    assert.deepEqual(diagnostics.gps_telemetry, appBody().gps_telemetry);
  });

  test('text that is no valid Unicode (an unpaired surrogate) is 422 naming the field, and nothing is stored', async () => {
    // Found by the fuzz: PostgreSQL refuses the escape "\ud800" in jsonb, which was a 500.
    const before = await countReports();
    const res = await send({ ...appBody(), feature_area: '\ud800 \udc00' });
    assert.deepEqual([res.statusCode, res.json()], [422, { detail: 'feature_area: must be valid Unicode text (it contains an unpaired surrogate)' }]);
    assert.equal(await countReports(), before);
  });

  test('the exact app body with a null description: 201, stored without text', async () => {
    const report = await sendApp({ description: null });
    assert.equal(report.description, '');
    assert.equal(report.app_state.app_diagnostics.work_events_total, 37);
  });

  test('not opted in: workplace names and coordinates sent anyway are dropped before storage', async () => {
    const sent = { locations: [CHARITE, VIRCHOW], eventLocationName: 'Charité Mitte' };
    for (const options of [
      { ...sent, optedIn: false },
      // The opt-in alone is not enough: the scope must say "location" too, and the other way round.
      { ...sent, optedIn: true, scope: 'standard' },
      { ...sent, optedIn: false, scope: 'location' },
    ]) {
      const report = await sendApp(options);
      const stored = JSON.stringify(report);
      assert.equal(report.app_state.app_diagnostics.locations_details, undefined, JSON.stringify(options));
      for (const event of report.app_state.app_diagnostics.gps_telemetry.recent_events) {
        assert.equal(event.location_name, undefined);
      }
      assert.ok(!stored.includes('Charit') && !stored.includes('Virchow-Klinikum') && !stored.includes('52.52'), stored);
      assert.equal(report.app_state.app_diagnostics.gps_telemetry.recent_events.length, 3, 'the events themselves stay');
    }
  });

  test('opted in: workplaces and event locations are kept, coordinates rounded to 3 decimals', async () => {
    const report = await sendApp({ optedIn: true, eventLocationName: 'Charité Mitte' });
    const diagnostics = report.app_state.app_diagnostics;
    assert.equal(diagnostics.diagnostics_scope, 'location');
    assert.deepEqual(diagnostics.locations_details, [
      { name: 'Charité Mitte', latitude: 52.526, longitude: 13.377 },
      { name: 'Virchow-Klinikum', latitude: 52.542, longitude: 13.343 },
    ]);
    assert.deepEqual(
      diagnostics.gps_telemetry.recent_events.map((e: { location_name?: string }) => e.location_name),
      ['Charité Mitte', 'Charité Mitte', 'Charité Mitte'],
    );
  });

  test("the body's user_id never links a report: not in that user's export, and it survives their erasure", async () => {
    const { token, user } = await createRegisteredUser(t);
    const report = await sendApp({ userId: user.id, description: 'Sent with my id in the body' });
    assert.equal(report.user, null);
    assert.ok(!JSON.stringify(report).includes(user.id), 'the unverified id is not stored anywhere');

    const exported = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) });
    assert.equal(exported.statusCode, 200);
    assert.deepEqual(exported.json().feedback_reports, []);

    const erased = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(token) });
    assert.equal(erased.statusCode, 204);
    const all = await t.app.inject({ method: 'GET', url: '/admin/feedback?limit=500', headers: ADMIN });
    assert.ok(all.json().reports.some((r: { id: string }) => r.id === report.id), 'the report stays after the erasure');
  });

  test('a valid Bearer token still links the app body to the account (exported with it)', async () => {
    const { token } = await createRegisteredUser(t);
    const report = await sendApp({ userId: randomUUID(), description: 'Sent while signed in' }, bearer(token));
    assert.match(report.user ?? '', /^[0-9a-f]{8}$/, 'operators see the pseudonym');
    const exported = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) });
    const reports = exported.json().feedback_reports;
    assert.deepEqual(reports.map((r: { id: string }) => r.id), [report.id]);
    assert.equal(reports[0].app_state.app_diagnostics.feature_area, 'settings');
  });

  test('e-mail addresses are removed from the description and from workplace names', async () => {
    const report = await sendApp({
      optedIn: true,
      description: 'Write to anna.schmidt@charite.de please',
      locations: [{ name: 'Ward of dr.meier@klinik.example', latitude: 52.5, longitude: 13.4 }],
      eventLocationName: 'Ward of dr.meier@klinik.example',
    });
    assert.equal(report.description, `Write to ${EMAIL_PLACEHOLDER} please`);
    const diagnostics = report.app_state.app_diagnostics;
    assert.equal(diagnostics.locations_details[0].name, `Ward of ${EMAIL_PLACEHOLDER}`);
    assert.equal(diagnostics.gps_telemetry.recent_events[0].location_name, `Ward of ${EMAIL_PLACEHOLDER}`);
    const stored = JSON.stringify(report);
    assert.ok(!stored.includes('anna.schmidt') && !stored.includes('dr.meier'), stored);
  });

  test('the largest body the bounds allow (100 events, 50 workplaces, long names) is accepted and kept whole', async () => {
    const name = 'W'.repeat(200);
    const report = await sendApp({
      optedIn: true,
      events: 100,
      eventLocationName: name,
      locations: Array.from({ length: 50 }, (_, i) => ({ name, latitude: -90 + i, longitude: 180 - i })),
    });
    const diagnostics = report.app_state.app_diagnostics;
    assert.equal(diagnostics.gps_telemetry.recent_events.length, 100);
    assert.equal(diagnostics.locations_details.length, 50);
    assert.deepEqual(diagnostics.locations_details[0], { name, latitude: -90, longitude: 180 });
  });

  test('wrong values: 422 naming the field, nothing stored', async () => {
    const before = await countReports();
    const body = appBody();
    const telemetry = body.gps_telemetry;
    const event = telemetry.recent_events[0]!;
    const cases: [unknown, RegExp][] = [
      [{ ...body, diagnostics_scope: 'x' }, /^diagnostics_scope: /],
      [{ ...body, feature_area: 'f'.repeat(101) }, /^feature_area: must NOT have more than 100 characters$/],
      [{ ...body, gps_telemetry: { ...telemetry, recent_events: appBody({ events: 101 }).gps_telemetry.recent_events } }, /^gps_telemetry\.recent_events: must NOT have more than 100 items$/],
      [{ ...body, locations_details: Array.from({ length: 51 }, () => CHARITE) }, /^locations_details: /],
      [{ ...body, locations_details: [{ ...CHARITE, latitude: 90.5 }] }, /^locations_details\.0\.latitude: must be <= 90$/],
      [{ ...body, locations_details: [{ ...CHARITE, longitude: -181 }] }, /^locations_details\.0\.longitude: must be >= -180$/],
      [{ ...body, locations_details: [{ ...CHARITE, name: 'n'.repeat(201) }] }, /^locations_details\.0\.name: /],
      [{ ...body, locations_details: [{ ...CHARITE, street: 'Luisenstr. 1' }] }, /^locations_details\.0\.street: unknown field$/],
      [{ ...body, include_location_diagnostics: 'yes' }, /^include_location_diagnostics: must be of type boolean$/],
      [{ ...body, locations_count: -1 }, /^locations_count: must be >= 0$/],
      [{ ...body, work_events_total: 1.5 }, /^work_events_total: must be an integer$/],
      [{ ...body, app_version: 214 }, /^app_version: /],
      [{ ...body, user_id: 42 }, /^user_id: /],
      [{ ...body, gps_telemetry: { ...telemetry, raw_fixes: [] } }, /^gps_telemetry\.raw_fixes: unknown field$/],
      [{ ...body, gps_telemetry: { ...telemetry, recent_events: [{ ...event, event_type: 'dwell' }] } }, /^gps_telemetry\.recent_events\.0\.event_type: /],
      [{ ...body, gps_telemetry: { ...telemetry, recent_events: [{ ...event, ignore_reason: 'other' }] } }, /^gps_telemetry\.recent_events\.0\.ignore_reason: /],
      [{ ...body, gps_telemetry: { ...telemetry, accuracy_stats: { min: 1, max: 2, avg: 1.5 } } }, /^gps_telemetry\.accuracy_stats\.count: field required$/],
      [{ ...body, gps_telemetry: { ...telemetry, ignored_events_count: -2 } }, /^gps_telemetry\.ignored_events_count: must be >= 0$/],
      [{ ...body, gps_telemetry: 'none' }, /^gps_telemetry: /],
      [{ ...body, phone_number: '0170 1234567' }, /^phone_number: unknown field$/],
    ];
    for (const [payload, detail] of cases) {
      const res = await send(payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload).slice(0, 120));
      assert.equal(typeof res.json().detail, 'string');
      assert.match(res.json().detail, detail);
    }
    assert.equal(await countReports(), before);
  });

  test('a client app_state is kept next to the diagnostics; it may not claim their key', async () => {
    t.clock.advance(MINUTE);
    const res = await send({ ...appBody(), app_state: { screen: 'settings' } });
    assert.equal(res.statusCode, 201);
    const report = await newestReport();
    assert.equal(report.app_state.screen, 'settings');
    assert.equal(report.app_state.app_diagnostics.feature_area, 'settings');

    const claimed = await send({ ...appBody(), app_state: { app_diagnostics: { forged: true } } });
    assert.equal(claimed.statusCode, 422);
    assert.match(claimed.json().detail, /^app_state\.app_diagnostics: /);
  });
});
