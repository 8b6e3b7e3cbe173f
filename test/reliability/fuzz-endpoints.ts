/**
 * The endpoints the fuzz suite attacks, one entry each, with what a VALID request looks like: which
 * credentials it needs, which body fields and query parameters it takes (as fast-check arbitraries of
 * valid values), and what kind of id fills `:id`. The suite generates valid requests from this and then
 * breaks them in every way (see fuzz.test.ts). A new endpoint is one more entry here.
 */
import fc from 'fast-check';
import {
  DIAGNOSTICS_SCOPES,
  FEEDBACK_STATUSES,
  GPS_ACCURACY_SOURCES,
  GPS_EVENT_TYPES,
  GPS_IGNORE_REASONS,
} from '../../src/services/feedback.js';
import { ORIGINAL_STATISTICS_METHODS } from '../../src/services/import-original.js';
import { LOG_LEVELS } from '../../src/services/log-buffer.js';
import { COUNTRY_CODE, DEPARTMENT_GROUP_CODES, PROFESSION_CODES, SENIORITY_CODES, SPECIALTY_KEYS, STATE_CODES } from '../../src/services/taxonomy.js';

export type Credentials =
  /** Nothing needed (a public endpoint). */
  | 'none'
  /** A signed-in user, registered or not. */
  | 'user'
  /** A signed-in user with a completed registration. */
  | 'registered'
  /** Either nothing or a signed-in user (feedback). */
  | 'optional'
  /** The operators' Basic credentials. */
  | 'admin';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `:id` is replaced by the id the suite picks. */
  path: string;
  credentials: Credentials;
  /** Valid values per body field; `required` are the fields a valid body must have. */
  body?: { fields: Record<string, fc.Arbitrary<unknown>>; required: string[] };
  /** Valid values per query parameter, as the text that goes into the URL. */
  query?: Record<string, fc.Arbitrary<string>>;
  /** What a valid `:id` refers to: one of the signed-in user's work events, or a feedback report. */
  id?: 'own-work-event' | 'feedback-report';
}

// ---- valid values ------------------------------------------------------------------------------------

/** The fuzz app's clock stands at 2026-03-15 (FakeClock's default): days before it are confirmable. */
const pastDay = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2026-03-14T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const minutes = fc.integer({ min: 0, max: 1440 });
/** Mondays of weeks that end by 2026-03-15 (a Sunday) and on 2020-01-01 or later: finalizable weeks. */
const FIRST_MONDAY = Date.parse('2019-12-30T00:00:00Z');
const pastMonday = fc
  .integer({ min: 0, max: Math.floor((Date.parse('2026-03-09T00:00:00Z') - FIRST_MONDAY) / (7 * 86_400_000)) })
  .map((week) => new Date(FIRST_MONDAY + week * 7 * 86_400_000).toISOString().slice(0, 10));
/** Hours of a week: 0 to 168 with at most two decimals. */
const weekHours = fc.integer({ min: 0, max: 16_800 }).map((centihours) => centihours / 100);
const email = fc.oneof(fc.emailAddress(), fc.constantFrom('doctor@klinik.example', ' Doctor@Klinik.Example '));
const sixDigits = fc.integer({ min: 0, max: 999_999 }).map((n) => String(n).padStart(6, '0'));
const version = fc.oneof(fc.constant('2026-05'), fc.string({ minLength: 1, maxLength: 32 }));
const hospitalId = fc.oneof(fc.constant('charite-berlin'), fc.string({ minLength: 1, maxLength: 255, unit: 'grapheme' }));
const profile = {
  hospital_id: hospitalId,
  profession: fc.constantFrom(...PROFESSION_CODES),
  seniority: fc.constantFrom(...SENIORITY_CODES),
  department_group: fc.constantFrom(...DEPARTMENT_GROUP_CODES),
  state_code: fc.constantFrom(...STATE_CODES),
  hospital_ref_id: fc.option(fc.integer({ min: -5, max: 3000 }), { nil: null }),
};
/**
 * Identity and registration tokens: text, and JWT-shaped text whose header names an algorithm other than
 * RS256 (refused before any key fetch). The fuzz app's key URLs point at a closed local port, so a token that
 * made the service fetch keys would show up as a 503.
 */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokenText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 300 }),
  fc
    .tuple(fc.constantFrom('none', 'HS256', 'ES256', 'RS512'), fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 40 }))
    .map(([alg, payload, signature]) => `${b64({ alg, kid: 'k' })}.${b64(payload)}.${signature.replace(/=/g, '')}`),
);
const optionalText = (maxLength: number) => fc.option(fc.string({ maxLength, unit: 'grapheme' }), { nil: null });
const intText = (min: number, max: number) => fc.integer({ min, max }).map(String);
const nullableNumber = fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null });
const locationDetail = fc.record({
  name: fc.string({ maxLength: 200 }),
  latitude: fc.double({ min: -90, max: 90, noNaN: true }),
  longitude: fc.double({ min: -180, max: 180, noNaN: true }),
});
const gpsEvent = fc.record(
  {
    timestamp: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    event_type: fc.constantFrom(...GPS_EVENT_TYPES),
    accuracy_meters: nullableNumber,
    accuracy_source: fc.option(fc.constantFrom(...GPS_ACCURACY_SOURCES), { nil: null }),
    ignored: fc.boolean(),
    ignore_reason: fc.option(fc.constantFrom(...GPS_IGNORE_REASONS), { nil: null }),
    location_name: fc.string({ maxLength: 200 }),
  },
  { requiredKeys: ['timestamp', 'event_type'] },
);
const gpsTelemetry = fc.record({
  recent_events: fc.array(gpsEvent, { maxLength: 5 }),
  accuracy_stats: fc.record({ min: nullableNumber, max: nullableNumber, avg: nullableNumber, count: fc.nat() }),
  ignored_events_count: fc.nat(),
  signal_degradation_count: fc.nat(),
  debounced_events_count: fc.nat(),
});
const pageQuery = (max: number) => ({ limit: intText(1, max), offset: intText(0, 10_000) });

// ---- the endpoints -----------------------------------------------------------------------------------

export const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/healthz', credentials: 'none' },
  { method: 'GET', path: '/taxonomy', credentials: 'none' },
  { method: 'GET', path: '/openapi.json', credentials: 'none' },

  { method: 'POST', path: '/auth/request-code', credentials: 'none', body: { fields: { email }, required: ['email'] } },
  { method: 'POST', path: '/auth/verify', credentials: 'none', body: { fields: { email, code: sixDigits }, required: ['email', 'code'] } },
  {
    method: 'POST',
    path: '/auth/register',
    credentials: 'user',
    body: {
      fields: { ...profile, terms_version: version, privacy_version: version },
      required: ['profession', 'terms_version', 'privacy_version'],
    },
  },
  { method: 'POST', path: '/auth/apple', credentials: 'none', body: { fields: { identity_token: tokenText }, required: ['identity_token'] } },
  { method: 'POST', path: '/auth/google', credentials: 'none', body: { fields: { id_token: tokenText }, required: ['id_token'] } },
  {
    method: 'POST',
    path: '/auth/social/register',
    credentials: 'none',
    body: {
      fields: { ...profile, terms_version: version, privacy_version: version, social_registration_token: tokenText },
      required: ['profession', 'terms_version', 'privacy_version', 'social_registration_token'],
    },
  },
  { method: 'GET', path: '/auth/me', credentials: 'user' },
  { method: 'PATCH', path: '/auth/me', credentials: 'user', body: { fields: profile, required: [] } },
  {
    method: 'POST',
    path: '/auth/consent',
    credentials: 'user',
    body: { fields: { terms_version: version, privacy_version: version }, required: ['terms_version', 'privacy_version'] },
  },
  { method: 'DELETE', path: '/auth/me', credentials: 'user' },
  { method: 'GET', path: '/auth/me/export', credentials: 'user' },

  {
    method: 'POST',
    path: '/work-events',
    credentials: 'registered',
    body: { fields: { date: pastDay, planned_minutes: minutes, actual_minutes: minutes }, required: ['date', 'planned_minutes', 'actual_minutes'] },
  },
  {
    method: 'GET',
    path: '/work-events',
    credentials: 'registered',
    query: { start_date: pastDay, end_date: pastDay, ...pageQuery(1000) },
  },
  {
    method: 'PATCH',
    path: '/work-events/:id',
    credentials: 'registered',
    id: 'own-work-event',
    body: { fields: { planned_minutes: minutes, actual_minutes: minutes }, required: [] },
  },
  { method: 'DELETE', path: '/work-events/:id', credentials: 'registered', id: 'own-work-event' },

  {
    method: 'POST',
    path: '/finalized-weeks',
    credentials: 'registered',
    body: {
      fields: { week_start: pastMonday, planned_hours: weekHours, actual_hours: weekHours },
      required: ['week_start', 'planned_hours', 'actual_hours'],
    },
  },
  { method: 'GET', path: '/finalized-weeks', credentials: 'registered', query: pageQuery(1000) },

  {
    method: 'POST',
    path: '/feedback',
    credentials: 'optional',
    body: {
      fields: {
        description: optionalText(300),
        app_version: optionalText(50),
        build_number: optionalText(50),
        platform: optionalText(50),
        device_model: optionalText(100),
        os_version: optionalText(50),
        app_state: fc.option(fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), { nil: null }),
        // The mobile app's keys (contract §4.13).
        user_id: fc.option(fc.uuid(), { nil: null }),
        hospital_id: fc.constant(null),
        specialty: fc.constant(null),
        role_level: fc.constant(null),
        state_code: fc.constant(null),
        include_location_diagnostics: fc.boolean(),
        diagnostics_scope: fc.constantFrom(...DIAGNOSTICS_SCOPES),
        feature_area: fc.string({ maxLength: 100, unit: 'grapheme' }).filter((s) => s.length <= 100),
        locations_count: fc.nat(),
        locations_details: fc.option(fc.array(locationDetail, { maxLength: 5 }), { nil: null }),
        work_events_total: fc.nat(),
        work_events_pending: fc.nat(),
        last_submission: fc.constant(null),
        gps_telemetry: gpsTelemetry,
      },
      required: ['description'],
    },
  },

  { method: 'GET', path: '/admin', credentials: 'admin' },
  { method: 'GET', path: '/admin/data', credentials: 'admin' },
  { method: 'GET', path: '/admin/feedback', credentials: 'admin', query: { status: fc.constantFrom(...FEEDBACK_STATUSES), ...pageQuery(500) } },
  {
    method: 'PATCH',
    path: '/admin/feedback/:id',
    credentials: 'admin',
    id: 'feedback-report',
    body: { fields: { status: fc.constantFrom(...FEEDBACK_STATUSES) }, required: ['status'] },
  },
  {
    method: 'GET',
    path: '/admin/logs',
    credentials: 'admin',
    query: { level: fc.constantFrom(...Object.keys(LOG_LEVELS)), search: fc.string({ maxLength: 200 }), limit: intText(1, 1000) },
  },
  { method: 'GET', path: '/metrics', credentials: 'admin' },
  { method: 'POST', path: '/admin/aggregate', credentials: 'admin', query: { period: fc.constantFrom('2026-01', '2026-02', '2099-01') } },

  {
    method: 'GET',
    path: '/stats/by-state-specialty',
    credentials: 'none',
    query: {
      // DEU has the rows; another well-formed code is a valid query with an empty answer.
      country_code: fc.constantFrom(COUNTRY_CODE, 'AUT'),
      period: fc.constantFrom('2026-01', '2026-02'),
      state_code: fc.constantFrom(...STATE_CODES),
      specialty: fc.constantFrom(...SPECIALTY_KEYS),
      profession: fc.constantFrom('physician', 'nurse', 'other'),
      format: fc.constant('csv'),
      ...pageQuery(5000),
    },
  },
  {
    method: 'GET',
    path: '/stats/marginals',
    credentials: 'none',
    query: {
      period: fc.constantFrom('2026-01', '2026-02'),
      level: fc.constantFrom('germany', 'state', 'department_group', 'profession'),
      format: fc.constant('csv'),
    },
  },
  { method: 'GET', path: '/stats/summary', credentials: 'none' },
  {
    method: 'GET',
    path: '/stats/original',
    credentials: 'none',
    query: {
      method: fc.constantFrom(...Object.values(ORIGINAL_STATISTICS_METHODS)),
      period_start: fc.constantFrom('2026-07-27', '2026-01-05', '2099-12-28'),
      state_code: fc.constantFrom(...STATE_CODES),
      specialty: fc.constantFrom('innere_medizin', 'Internal Medicine'),
      format: fc.constant('csv'),
      ...pageQuery(5000),
    },
  },
  { method: 'GET', path: '/auth/me/privacy', credentials: 'user' },

  // The app's paths (src/routes/app-auth.ts). The token-less POST /auth/register shares its path with ours
  // above; which one answers depends on the Authorization header, which the suite varies.
  { method: 'POST', path: '/verification/request', credentials: 'none', body: { fields: { email }, required: ['email'] } },
  { method: 'POST', path: '/verification/confirm', credentials: 'none', body: { fields: { email, code: sixDigits }, required: ['email', 'code'] } },
  {
    method: 'POST',
    path: '/auth/register',
    credentials: 'none',
    body: {
      fields: {
        ...profile,
        email,
        specialty: fc.constantFrom(...SPECIALTY_KEYS),
        role_level: fc.constantFrom(...SENIORITY_CODES, 'not_specified'),
        terms_version: version,
        privacy_version: version,
      },
      required: ['email', 'hospital_id', 'specialty', 'role_level', 'profession', 'terms_version', 'privacy_version'],
    },
  },
  { method: 'POST', path: '/auth/login', credentials: 'none', body: { fields: { email, code: sixDigits }, required: ['email', 'code'] } },
  { method: 'POST', path: '/auth/refresh', credentials: 'user' },
  {
    method: 'PATCH',
    path: '/auth/me/profile',
    credentials: 'user',
    body: { fields: { ...profile, specialty: fc.constantFrom(...SPECIALTY_KEYS), role_level: fc.constantFrom(...SENIORITY_CODES, 'not_specified') }, required: [] },
  },
  { method: 'GET', path: '/', credentials: 'none' },
];
