import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CONSENT, PROFILE, bearer, registerByEmail, signInByEmail, uniqueEmail } from '../helpers/auth.js';
import { HOUR } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

const USER_FIELDS = [
  'consent_accepted_at',
  'consent_required',
  'created_at',
  'hospital_id',
  'privacy_accepted_version',
  'registration_complete',
  'role_level',
  'specialty',
  'state_code',
  'terms_accepted_version',
  'user_id',
];

describe(`registration, profile and consent (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp({ env: { CURRENT_TERMS_VERSION: '2026-01', CURRENT_PRIVACY_VERSION: '2026-01' } });
  });
  after(async () => t.close());

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  test('register completes the profile and records consent at the current time', async () => {
    const { token, userId, registrationComplete } = await signInByEmail(t, uniqueEmail());
    assert.equal(registrationComplete, false);
    const before = (await call('GET', '/auth/me', token)).json();
    assert.deepEqual(
      { ...before, created_at: undefined },
      {
        user_id: userId,
        hospital_id: null,
        specialty: null,
        role_level: null,
        state_code: null,
        created_at: undefined,
        terms_accepted_version: null,
        privacy_accepted_version: null,
        consent_accepted_at: null,
        registration_complete: false,
        consent_required: true,
      },
    );

    t.clock.advance(HOUR);
    const res = await call('POST', '/auth/register', token, { ...PROFILE, ...CONSENT });
    assert.equal(res.statusCode, 200);
    const user = res.json();
    assert.deepEqual(Object.keys(user).sort(), USER_FIELDS);
    assert.deepEqual(
      { ...user, created_at: undefined },
      {
        user_id: userId,
        ...PROFILE,
        created_at: undefined,
        terms_accepted_version: '2026-01',
        privacy_accepted_version: '2026-01',
        consent_accepted_at: t.clock.now().toISOString(),
        registration_complete: true,
        consent_required: false,
      },
    );
    assert.equal(user.created_at, before.created_at);
    assert.deepEqual((await call('GET', '/auth/me', token)).json(), user, 'GET /auth/me shows the same user');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('register validates every field against the taxonomy and its limits', async () => {
    const { token } = await signInByEmail(t, uniqueEmail());
    const valid = { ...PROFILE, ...CONSENT };
    const cases: [object, RegExp][] = [
      [{ ...valid, state_code: 'XX' }, /^state_code: /],
      [{ ...valid, state_code: 'be' }, /^state_code: /],
      [{ ...valid, specialty: 'Kardiologie' }, /^specialty: /],
      [{ ...valid, role_level: 'intern' }, /^role_level: /],
      [{ ...valid, hospital_id: '' }, /^hospital_id: /],
      [{ ...valid, hospital_id: '   ' }, /^hospital_id: must not be empty$/],
      [{ ...valid, hospital_id: 'x'.repeat(256) }, /^hospital_id: /],
      [{ ...valid, hospital_id: 42 }, /^hospital_id: must be of type string$/],
      [{ ...valid, terms_version: undefined }, /^terms_version: field required$/],
      [{ ...valid, privacy_version: undefined }, /^privacy_version: field required$/],
      [{ ...valid, privacy_version: ' ' }, /^privacy_version: must not be empty$/],
      [{ ...valid, state_code: undefined }, /^state_code: field required$/],
      [{ ...valid, email: 'a@b.de' }, /^email: unknown field$/],
    ];
    for (const [payload, detail] of cases) {
      const res = await call('POST', '/auth/register', token, payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.match(res.json().detail, detail, JSON.stringify(payload));
    }
    assert.equal((await call('GET', '/auth/me', token)).json().registration_complete, false, 'nothing was stored');
    for (const state_code of ['BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV', 'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH']) {
      assert.equal((await call('POST', '/auth/register', token, { ...valid, state_code })).statusCode, 200, state_code);
    }
    const trimmed = await call('POST', '/auth/register', token, { ...valid, hospital_id: '  uk-essen  ' });
    assert.equal(trimmed.json().hospital_id, 'uk-essen');
  });

  test('PATCH /auth/me changes only the given profile fields', async () => {
    const { token } = await registerByEmail(t);
    const before = (await call('GET', '/auth/me', token)).json();
    const res = await call('PATCH', '/auth/me', token, { state_code: 'HH', role_level: 'oberarzt' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { ...before, state_code: 'HH', role_level: 'oberarzt' });

    const invalid: [object, RegExp][] = [
      [{}, /^Nothing to update: send at least one of hospital_id, specialty, role_level, state_code$/],
      [{ state_code: 'XX' }, /^state_code: /],
      [{ specialty: null }, /^specialty: /],
      [{ terms_accepted_version: '2020-01' }, /^terms_accepted_version: unknown field$/],
      [{ is_demo: true }, /^is_demo: unknown field$/],
    ];
    for (const [payload, detail] of invalid) {
      const bad = await call('PATCH', '/auth/me', token, payload);
      assert.equal(bad.statusCode, 422, JSON.stringify(payload));
      assert.match(bad.json().detail, detail);
    }
    assert.deepEqual((await call('GET', '/auth/me', token)).json(), res.json(), 'refused changes changed nothing');
  });

  test('consent: new policy versions make consent_required true until the user accepts them', async () => {
    const { token } = await registerByEmail(t);
    assert.equal((await call('GET', '/auth/me', token)).json().consent_required, false);

    // The operator publishes new terms: the service restarts with new versions on the same database.
    const config = loadConfig({ ...t.env, CURRENT_TERMS_VERSION: '2026-07', CURRENT_PRIVACY_VERSION: '2026-01' });
    const restarted = await buildApp({ config, database: t.database, clock: t.clock, logger: false });
    try {
      const me = await restarted.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
      assert.equal(me.json().consent_required, true, 'accepted terms 2026-01, current is 2026-07');
      assert.equal(me.json().registration_complete, true, 'an outdated consent does not undo registration');

      t.clock.advance(HOUR);
      const consented = await restarted.inject({
        method: 'POST',
        url: '/auth/consent',
        headers: bearer(token),
        payload: { terms_version: '2026-07', privacy_version: '2026-01' },
      });
      assert.equal(consented.statusCode, 200);
      assert.equal(consented.json().consent_required, false);
      assert.equal(consented.json().terms_accepted_version, '2026-07');
      assert.equal(consented.json().consent_accepted_at, t.clock.now().toISOString());
    } finally {
      await restarted.close();
    }
  });

  test('consent validates its body', async () => {
    const { token } = await signInByEmail(t, uniqueEmail());
    for (const [payload, detail] of [
      [{ terms_version: '2026-01' }, /^privacy_version: field required$/],
      [{ terms_version: 2026, privacy_version: '2026-01' }, /^terms_version: must be of type string$/],
      [{ ...CONSENT, extra: 1 }, /^extra: unknown field$/],
    ] as const) {
      const res = await call('POST', '/auth/consent', token, payload);
      assert.equal(res.statusCode, 422);
      assert.match(res.json().detail, detail);
    }
    const ok = await call('POST', '/auth/consent', token, CONSENT);
    assert.deepEqual([ok.json().consent_required, ok.json().registration_complete], [false, false], 'consent alone is no profile');
  });

  test('account endpoints need a token', async () => {
    for (const [method, url] of [
      ['GET', '/auth/me'],
      ['PATCH', '/auth/me'],
      ['DELETE', '/auth/me'],
      ['POST', '/auth/register'],
      ['POST', '/auth/consent'],
      ['GET', '/auth/me/export'],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: {} });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
  });
});
