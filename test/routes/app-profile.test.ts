/**
 * The app's profile save (`PATCH /auth/me/profile`, contract §4.7), the rate limits of its sign-in paths, and
 * what erasure, export and the daily maintenance do with verified addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { normalizeEmail } from '../../src/services/auth.js';
import { bearer, createRegisteredUser, signInByEmail, uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { HOUR, MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

describe(`the app's profile save, limits and erasure (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp();
  });
  after(async () => t.close());

  const save = (token: string, payload?: object) =>
    t.app.inject({ method: 'PATCH', url: '/auth/me/profile', payload, headers: bearer(token), remoteAddress: uniqueIp() });

  test('each key alone changes only its field, and the answer is the whole user object', async () => {
    const { token } = await createRegisteredUser(t);
    const changes: [string, unknown, Record<string, unknown>][] = [
      ['state_code', 'HH', { state_code: 'HH' }],
      ['hospital_ref_id', 2001, { hospital_ref_id: 2001 }],
      ['hospital_id', 'Klinikum Nord', { hospital_id: 'Klinikum Nord' }],
      ['department_group', 'chirurgie', { department_group: 'chirurgie', specialty: 'chirurgie' }],
      ['seniority', 'oberarzt_plus', { seniority: 'oberarzt_plus', role_level: 'oberarzt_plus' }],
      ['profession', 'nurse', { profession: 'nurse', seniority: null, role_level: 'not_specified' }],
      ['specialization_code', '1500', { specialization_code: '1500', department_group: 'chirurgie' }],
    ];
    let previous = (await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).json();
    for (const [key, value, expected] of changes) {
      const res = await save(token, { [key]: value });
      assert.equal(res.statusCode, 200, `${key}: ${res.body}`);
      const user = res.json();
      assert.deepEqual({ ...user }, { ...previous, ...expected }, key);
      previous = user;
    }
  });

  test('hospital_ref_id null sets null; other nulls are ignored; an empty body changes nothing', async () => {
    const { token } = await createRegisteredUser(t);
    const before = (await save(token, {})).json();
    assert.equal(before.hospital_ref_id, 42);
    const res = await save(token, { hospital_ref_id: null, state_code: null, profession: null, seniority: null, department_group: null, hospital_id: null });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { ...before, hospital_ref_id: null });
    const noBody = await t.app.inject({ method: 'PATCH', url: '/auth/me/profile', headers: { ...bearer(token), 'content-type': 'application/json' } });
    assert.equal(noBody.statusCode, 200);
  });

  test('profession other clears the seniority; a seniority alone is checked against the stored profession', async () => {
    const { token } = await createRegisteredUser(t);
    const other = (await save(token, { profession: 'other' })).json();
    assert.deepEqual([other.profession, other.seniority, other.role_level], ['other', null, 'not_specified']);

    const { token: physician } = await createRegisteredUser(t);
    const wrong = await save(physician, { seniority: 'leitung' });
    assert.deepEqual([wrong.statusCode, wrong.json()], [422, { detail: "Seniority 'leitung' is not valid for profession 'physician'." }]);
    const both = await save(physician, { profession: 'nurse', seniority: 'leitung' });
    assert.deepEqual([both.statusCode, both.json().seniority], [200, 'leitung']);
  });

  test('values outside the vocabulary: 422 with a string detail', async () => {
    const { token } = await createRegisteredUser(t);
    for (const body of [{ state_code: 'XX' }, { profession: 'surgeon' }, { department_group: 'x' }, { hospital_id: 'h'.repeat(256) }, { hospital_ref_id: 1.5 }]) {
      const res = await save(token, body);
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.equal(typeof res.json().detail, 'string');
    }
  });

  test('401 without a valid token', async () => {
    const none = await t.app.inject({ method: 'PATCH', url: '/auth/me/profile', payload: { state_code: 'BE' } });
    assert.equal(none.statusCode, 401);
    const { token } = await createRegisteredUser(t);
    await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(token) });
    assert.equal((await save(token, { state_code: 'BE' })).statusCode, 401);
  });

  const assert429 = (res: { statusCode: number; headers: Record<string, unknown>; json(): { detail: unknown } }) => {
    assert.equal(res.statusCode, 429);
    assert.equal(typeof res.json().detail, 'string');
    assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After');
  };

  test('rate limit: 60 refreshes per client and hour, counted before the token is checked', async () => {
    const remoteAddress = uniqueIp();
    const refresh = () => t.app.inject({ method: 'POST', url: '/auth/refresh', remoteAddress });
    for (let i = 0; i < 60; i++) assert.equal((await refresh()).statusCode, 401);
    assert429(await refresh());
    t.clock.advance(HOUR);
    assert.equal((await refresh()).statusCode, 401, 'free again after the window');
  });

  test('rate limit: 20 token-less registrations per client and hour', async () => {
    const remoteAddress = uniqueIp();
    const body = { hospital_id: 'not_specified', specialty: 'not_specified', role_level: 'not_specified', profession: 'other', hospital_ref_id: null, terms_version: '2026-05', privacy_version: '2026-05' };
    const register = () => t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...body, email: uniqueEmail() }, remoteAddress });
    for (let i = 0; i < 20; i++) assert.equal((await register()).statusCode, 400);
    assert429(await register());
  });

  test('rate limit: confirm and login share the per-client verification limit with /auth/verify', async () => {
    const remoteAddress = uniqueIp();
    const post = (url: string) => t.app.inject({ method: 'POST', url, payload: { email: uniqueEmail(), code: '123456' }, remoteAddress });
    for (let i = 0; i < 15; i++) assert.equal((await post('/verification/confirm')).statusCode, 400);
    for (let i = 0; i < 15; i++) assert.equal((await post('/auth/login')).statusCode, 401);
    assert429(await post('/auth/verify'));
    assert429(await post('/verification/confirm'));
    assert429(await post('/auth/login'));
  });

  test('rate limit: /verification/request shares the code-request limits of /auth/request-code', async () => {
    const email = uniqueEmail('limited');
    const request = (url: string) => t.app.inject({ method: 'POST', url, payload: { email }, remoteAddress: uniqueIp() });
    assert.equal((await request('/verification/request')).statusCode, 202);
    assert.equal((await request('/auth/request-code')).statusCode, 202);
    assert.equal((await request('/verification/request')).statusCode, 202);
    assert429(await request('/verification/request'));
    assert429(await request('/auth/request-code'));
  });

  test("erasure deletes the address's verification mark; the export shows it while pending", async () => {
    const email = uniqueEmail('erase');
    const signedIn = await signInByEmail(t, email);
    const remoteAddress = uniqueIp();
    await t.app.inject({ method: 'POST', url: '/verification/request', payload: { email }, remoteAddress });
    const confirm = await t.app.inject({ method: 'POST', url: '/verification/confirm', payload: { email, code: t.smtp.lastCodeFor(email) }, remoteAddress });
    assert.equal(confirm.statusCode, 200);
    const hash = t.app.services.auth.hashEmail(normalizeEmail(email));
    const marks = () => t.database.db.selectFrom('email_verifications').selectAll().where('email_hash', '=', hash).execute();
    assert.equal((await marks()).length, 1);

    const exported = (await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(signedIn.token) })).json();
    assert.equal(exported.pending_email_verification.expires_at, new Date(t.clock.now().getTime() + 60 * MINUTE).toISOString());

    assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(signedIn.token) })).statusCode, 204);
    assert.equal((await marks()).length, 0);
  });

  test('the daily maintenance purges expired verification marks', async () => {
    const remoteAddress = uniqueIp();
    const stale = uniqueEmail('stale');
    await t.app.inject({ method: 'POST', url: '/verification/request', payload: { email: stale }, remoteAddress });
    await t.app.inject({ method: 'POST', url: '/verification/confirm', payload: { email: stale, code: t.smtp.lastCodeFor(stale) }, remoteAddress });
    t.clock.advance(61 * MINUTE);
    const fresh = uniqueEmail('fresh');
    await t.app.inject({ method: 'POST', url: '/verification/request', payload: { email: fresh }, remoteAddress });
    await t.app.inject({ method: 'POST', url: '/verification/confirm', payload: { email: fresh, code: t.smtp.lastCodeFor(fresh) }, remoteAddress });

    const outcomes = await t.app.services.maintenance.runAll();
    const purge = outcomes.find((o) => o.name === 'expired e-mail verifications purge');
    assert.ok(purge?.ok, JSON.stringify(outcomes));
    const left = await t.database.db.selectFrom('email_verifications').select('email_hash').execute();
    const { hashEmail } = t.app.services.auth;
    assert.ok(!left.some((row) => row.email_hash === hashEmail.call(t.app.services.auth, stale)), 'the expired mark is gone');
    assert.ok(left.some((row) => row.email_hash === hashEmail.call(t.app.services.auth, fresh)), 'the live mark stays');
  });
});
