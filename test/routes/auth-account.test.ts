import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CONSENT, PROFILE, bearer, registerByEmail, signInByEmail, uniqueEmail } from '../helpers/auth.js';
import { HOUR } from '../helpers/clock.js';
import { DEPARTMENT_GROUPS, SENIORITIES, SPECIALIZATION_CODES, groupOfSpecialization } from '../../src/services/taxonomy.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

/** The app's user object (contract §3) plus our two flags. */
const USER_FIELDS = [
  'consent_accepted_at',
  'consent_required',
  'country_code',
  'created_at',
  'department_group',
  'hospital_id',
  'hospital_ref_id',
  'privacy_accepted_version',
  'profession',
  'registration_complete',
  'role_level',
  'seniority',
  'specialization_code',
  'specialty',
  'state_code',
  'terms_accepted_version',
  'user_id',
];

describe(`registration, profile and consent (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp();
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
        country_code: 'DEU',
        profession: null,
        seniority: null,
        department_group: null,
        specialization_code: null,
        hospital_ref_id: null,
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
        // The legacy fields follow the v2 fields; no hospital name was given.
        specialty: PROFILE.department_group,
        role_level: PROFILE.seniority,
        hospital_id: 'not_specified',
        specialization_code: null,
        country_code: 'DEU',
        created_at: undefined,
        terms_accepted_version: '2026-05',
        privacy_accepted_version: '2026-05',
        consent_accepted_at: t.clock.now().toISOString(),
        registration_complete: true,
        consent_required: false,
      },
    );
    assert.equal(user.created_at, before.created_at);
    assert.deepEqual((await call('GET', '/auth/me', token)).json(), user, 'GET /auth/me shows the same user');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('register validates every field against the vocabulary and its limits', async () => {
    const { token } = await signInByEmail(t, uniqueEmail());
    const valid = { ...PROFILE, ...CONSENT };
    const cases: [object, RegExp][] = [
      [{ ...valid, state_code: 'XX' }, /^state_code: /],
      [{ ...valid, profession: 'surgeon' }, /^profession: /],
      [{ ...valid, profession: undefined }, /^profession: field required$/],
      [{ ...valid, seniority: 'chefarzt' }, /^seniority: /],
      [{ ...valid, profession: 'nurse' }, /^Seniority 'assistenzarzt' is not valid for profession 'nurse'\.$/],
      [{ ...valid, department_group: 'cardiology' }, /^department_group: /],
      [{ ...valid, specialization_code: '9999' }, /^specialization_code: /],
      [{ ...valid, specialization_code: '1500' }, /^specialization_code: '1500' belongs to department group 'chirurgie'$/],
      [{ ...valid, specialty: 'Kardiologie' }, /^specialty: /],
      [{ ...valid, specialty: 'chirurgie' }, /^specialty: must be the department group \('innere_medizin'\) or 'not_specified'$/],
      [{ ...valid, role_level: 'facharzt' }, /^role_level: must be the seniority/],
      [{ ...valid, hospital_ref_id: 1.5 }, /^hospital_ref_id: /],
      [{ ...valid, hospital_ref_id: '42' }, /^hospital_ref_id: /],
      [{ ...valid, hospital_id: '' }, /^hospital_id: /],
      [{ ...valid, hospital_id: '   ' }, /^hospital_id: must not be empty$/],
      [{ ...valid, hospital_id: 'x'.repeat(256) }, /^hospital_id: /],
      [{ ...valid, hospital_id: 42 }, /^hospital_id: must be of type string$/],
      [{ ...valid, terms_version: undefined }, /^terms_version: field required$/],
      [{ ...valid, privacy_version: undefined }, /^privacy_version: field required$/],
      [{ ...valid, privacy_version: ' ' }, /^privacy_version: must be the current version "2026-05"$/],
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

    // Only a profession and consent are required; the legacy fields then say not_specified.
    const minimal = await call('POST', '/auth/register', token, { profession: 'other', seniority: 'facharzt', ...CONSENT });
    assert.equal(minimal.statusCode, 422, 'other has no seniority');
    const other = (await call('POST', '/auth/register', token, { profession: 'other', ...CONSENT })).json();
    assert.deepEqual(
      [other.profession, other.seniority, other.role_level, other.department_group, other.specialty, other.state_code, other.hospital_id, other.hospital_ref_id],
      ['other', null, 'not_specified', null, 'not_specified', null, 'not_specified', null],
    );
    assert.equal(other.registration_complete, true);

    // A specialization code alone places the user in its department group.
    const coded = (await call('POST', '/auth/register', token, { ...valid, department_group: undefined, specialization_code: 'ZNA1' })).json();
    assert.deepEqual([coded.department_group, coded.specialty, coded.specialization_code], ['notaufnahme', 'notaufnahme', 'ZNA1']);
  });

  test('every value of the vocabulary is accepted', async () => {
    const { token } = await signInByEmail(t, uniqueEmail());
    const register = async (profile: object) => {
      const res = await call('POST', '/auth/register', token, { ...profile, ...CONSENT });
      assert.equal(res.statusCode, 200, `${JSON.stringify(profile)}: ${res.body}`);
      return res.json();
    };
    for (const seniority of SENIORITIES) {
      const user = await register({ profession: seniority.profession, seniority: seniority.code, role_level: seniority.code });
      assert.deepEqual([user.profession, user.seniority, user.role_level], [seniority.profession, seniority.code, seniority.code]);
    }
    for (const group of DEPARTMENT_GROUPS) {
      const user = await register({ profession: 'nurse', seniority: 'leitung', department_group: group.code, specialty: group.code });
      assert.equal(user.department_group, group.code);
    }
    for (const code of SPECIALIZATION_CODES) {
      const user = await register({ profession: 'physician', seniority: 'facharzt', specialization_code: code });
      assert.deepEqual([user.specialization_code, user.department_group], [code, groupOfSpecialization(code)]);
    }
    for (const hospital_ref_id of [null, 0, 1, 2134, 99_999, -1]) {
      assert.equal((await register({ profession: 'physician', hospital_ref_id })).hospital_ref_id, hospital_ref_id);
    }
    // What the app sends when nothing was chosen (contract §8.5).
    const unspecified = await register({ profession: 'other', hospital_id: 'not_specified', specialty: 'not_specified', role_level: 'not_specified', hospital_ref_id: null });
    assert.deepEqual([unspecified.department_group, unspecified.seniority], [null, null]);
  });

  test('PATCH /auth/me changes only the given profile fields', async () => {
    const { token } = await registerByEmail(t);
    const before = (await call('GET', '/auth/me', token)).json();
    const res = await call('PATCH', '/auth/me', token, { state_code: 'HH', seniority: 'oberarzt_plus' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { ...before, state_code: 'HH', seniority: 'oberarzt_plus', role_level: 'oberarzt_plus' });

    // A new department group moves the legacy specialty with it and drops a code of the old group.
    const moved = (await call('PATCH', '/auth/me', token, { department_group: 'chirurgie', specialization_code: '2316' })).json();
    assert.deepEqual([moved.department_group, moved.specialty, moved.specialization_code], ['chirurgie', 'chirurgie', '2316']);
    const regrouped = (await call('PATCH', '/auth/me', token, { department_group: 'paediatrie' })).json();
    assert.deepEqual([regrouped.specialty, regrouped.specialization_code], ['paediatrie', null]);
    // A change of profession clears a seniority that belongs to the old one.
    const nurse = (await call('PATCH', '/auth/me', token, { profession: 'nurse' })).json();
    assert.deepEqual([nurse.profession, nurse.seniority, nurse.role_level], ['nurse', null, 'not_specified']);
    const after = (await call('PATCH', '/auth/me', token, { seniority: 'pflegefachkraft', hospital_ref_id: null })).json();
    assert.deepEqual([after.seniority, after.hospital_ref_id], ['pflegefachkraft', null]);

    const invalid: [object, RegExp][] = [
      [{}, /^body: must contain at least one field$/],
      [{ state_code: 'XX' }, /^state_code: /],
      [{ seniority: 'facharzt' }, /^Seniority 'facharzt' is not valid for profession 'nurse'\.$/],
      [{ specialty: null }, /^specialty: /],
      [{ terms_accepted_version: '2020-01' }, /^terms_accepted_version: unknown field$/],
      [{ is_demo: true }, /^is_demo: unknown field$/],
    ];
    for (const [payload, detail] of invalid) {
      const bad = await call('PATCH', '/auth/me', token, payload);
      assert.equal(bad.statusCode, 422, JSON.stringify(payload));
      assert.match(bad.json().detail, detail);
    }
    assert.deepEqual((await call('GET', '/auth/me', token)).json(), after, 'refused changes changed nothing');
  });

  test('consent: new policy versions make consent_required true until the user accepts them', async () => {
    const { token } = await registerByEmail(t);
    assert.equal((await call('GET', '/auth/me', token)).json().consent_required, false);

    // The operator publishes new terms: the service restarts with new versions on the same database.
    const config = loadConfig({ ...t.env, CURRENT_TERMS_VERSION: '2026-07', CURRENT_PRIVACY_VERSION: '2026-05' });
    const restarted = await buildApp({ config, database: t.database, clock: t.clock, logger: false });
    try {
      const me = await restarted.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
      assert.equal(me.json().consent_required, true, 'accepted terms 2026-05, current is 2026-07');
      assert.equal(me.json().registration_complete, true, 'an outdated consent does not undo registration');

      t.clock.advance(HOUR);
      const consented = await restarted.inject({
        method: 'POST',
        url: '/auth/consent',
        headers: bearer(token),
        payload: { terms_version: '2026-07', privacy_version: '2026-05' },
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
      [{ terms_version: '2026-05' }, /^privacy_version: field required$/],
      [{ terms_version: 2026, privacy_version: '2026-05' }, /^terms_version: must be of type string$/],
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
      ['POST', '/auth/consent'],
      ['GET', '/auth/me/export'],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: {} });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
  });
});
