/**
 * The app's sign-in and registration (contract mobile-app-v2.md §4.1–4.7), driven with the exact bodies the
 * app v2.1.x sends, codes read from mail delivered to a real SMTP server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { EmailVerificationRepository } from '../../src/db/repositories/email-verifications.js';
import { normalizeEmail } from '../../src/services/auth.js';
import {
  DEPARTMENT_GROUP_CODES,
  SPECIALIZATIONS,
  STATE_CODES,
  senioritiesOf,
} from '../../src/services/taxonomy.js';
import { TEST_SECRETS } from '../helpers/app.js';
import { APP_REGISTRATION, CONSENT, PROFILE, bearer, createRegisteredUser, signInByEmail, uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { DAY, MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

/** The keys of the app's `UserOut` (§3): all present in every user object. */
const USER_OUT_KEYS = [
  'user_id', 'hospital_id', 'specialty', 'role_level', 'state_code', 'created_at', 'profession', 'seniority', 'department_group',
  'specialization_code', 'hospital_ref_id', 'terms_accepted_version', 'privacy_accepted_version', 'consent_accepted_at',
];
const TOKEN_KEYS = ['access_token', 'expires_at', 'token_type', 'user_id'];
const NOT_VERIFIED = 'Email must be verified before registration. Please complete email verification first.';
const ALREADY_REGISTERED = 'Registration failed. Please verify your email and try again.';
const DEMO = { DEMO__EMAIL: 'review@openworkinghours.example', DEMO__CODE: '135790' };

/** §4.3 as the form sends it: a physician with a listed hospital, a state and a department. */
const physicianBody = (email: string) => ({ email, ...APP_REGISTRATION, hospital_ref_id: 1042 });

/** §4.3 for profession `other`, no state, no department, "Other / not listed": those keys absent, the hospital null. */
const otherBody = (email: string) => ({
  email,
  hospital_id: 'not_specified',
  specialty: 'not_specified',
  role_level: 'not_specified',
  profession: 'other',
  hospital_ref_id: null,
  terms_version: '2026-05',
  privacy_version: '2026-05',
});

const jwtPayload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

describe(`the app's sign-in and registration (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp({ env: DEMO });
  });
  after(async () => t.close());

  /** One phone: its own client address, so per-IP limits of one test never touch another. */
  const phone = (remoteAddress = uniqueIp()) => {
    const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url, payload, headers, remoteAddress });
    return {
      post,
      requestCode: (email: string) => post('/verification/request', { email }),
      confirm: (email: string, code: string) => post('/verification/confirm', { email, code }),
      register: (body: object) => post('/auth/register', body),
      login: (email: string, code: string) => post('/auth/login', { email, code }),
      refresh: (token: string) => post('/auth/refresh', undefined, bearer(token)),
      me: (token: string) => t.app.inject({ method: 'GET', url: '/auth/me', headers: { ...bearer(token), 'content-type': 'application/json' } }),
      saveProfile: (token: string, payload: object) =>
        t.app.inject({ method: 'PATCH', url: '/auth/me/profile', payload, headers: bearer(token), remoteAddress }),
    };
  };
  const codeFor = async (p: ReturnType<typeof phone>, email: string) => {
    const res = await p.requestCode(email);
    assert.equal(res.statusCode, 202, res.body);
    return t.smtp.lastCodeFor(normalizeEmail(email));
  };
  const confirmed = async (p: ReturnType<typeof phone>, email: string) => {
    const res = await p.confirm(email, await codeFor(p, email));
    assert.equal(res.statusCode, 200, res.body);
    return res;
  };
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const userCount = async () => Number((await t.database.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const hashOf = (email: string) => t.app.services.auth.hashEmail(normalizeEmail(email));
  /** Marks an address verified as `/verification/confirm` does, for tests about the registration body. */
  const markVerified = (email: string) =>
    new EmailVerificationRepository(t.database.db).mark(hashOf(email), t.clock.now(), new Date(t.clock.now().getTime() + 60 * MINUTE));

  test('registration as the app does it: request, confirm, register without a token, me', async () => {
    const p = phone();
    const email = uniqueEmail('new');
    const requested = await p.requestCode(email);
    assert.equal(requested.statusCode, 202);
    assert.match(requested.headers['content-type'] as string, /^application\/json/);
    assert.equal(typeof requested.json().message, 'string');

    const before = await userCount();
    const confirm = await p.confirm(email, t.smtp.lastCodeFor(email));
    assert.equal(confirm.statusCode, 200);
    assert.equal(confirm.json().verified, true);
    assert.equal(confirm.json().expires_at, new Date(t.clock.now().getTime() + 60 * MINUTE).toISOString());
    assert.equal(await userCount(), before, 'confirming creates no user');

    const registered = await p.register(otherBody(email));
    assert.equal(registered.statusCode, 201, registered.body);
    const token = registered.json();
    assert.deepEqual(Object.keys(token).sort(), TOKEN_KEYS);
    assert.equal(token.token_type, 'bearer');
    assert.equal(token.expires_at, new Date(t.clock.now().getTime() + 30 * DAY).toISOString());

    const me = await p.me(token.access_token);
    assert.equal(me.statusCode, 200);
    const user = me.json();
    for (const key of USER_OUT_KEYS) assert.ok(key in user, `${key} is present`);
    assert.equal(user.user_id, token.user_id);
    assert.equal(user.hospital_ref_id, null, 'hospital_ref_id is an explicit null');
    assert.equal(user.state_code, null);
    assert.equal(user.seniority, null);
    assert.equal(user.department_group, null);
    assert.equal(user.specialization_code, null);
    assert.equal(user.profession, 'other');
    assert.deepEqual([user.hospital_id, user.specialty, user.role_level], ['not_specified', 'not_specified', 'not_specified']);
    assert.deepEqual([user.terms_accepted_version, user.privacy_accepted_version], ['2026-05', '2026-05']);
    assert.equal(user.consent_accepted_at, t.clock.now().toISOString());
    assert.equal(await userCount(), before + 1);

    // The mark is used up: the same address cannot register again without a new proof.
    const again = await p.register(otherBody(email));
    assert.deepEqual([again.statusCode, again.json().detail], [400, NOT_VERIFIED]);
  });

  test('a physician with a hospital, a state and a department: every value stored and echoed', async () => {
    const p = phone();
    const email = uniqueEmail('physician');
    await confirmed(p, email);
    const res = await p.register(physicianBody(email));
    assert.equal(res.statusCode, 201, res.body);
    const user = (await p.me(res.json().access_token)).json();
    assert.deepEqual(
      [user.profession, user.seniority, user.department_group, user.state_code, user.hospital_ref_id, user.specialty, user.role_level],
      ['physician', 'assistenzarzt', 'innere_medizin', 'BE', 1042, 'innere_medizin', 'assistenzarzt'],
    );
  });

  test('confirm: wrong code 400, a used code cannot be reused, malformed input 422', async () => {
    const p = phone();
    const email = uniqueEmail();
    const code = await codeFor(p, email);
    const wrong = await p.confirm(email, wrongCode(code));
    assert.deepEqual([wrong.statusCode, wrong.json()], [400, { detail: 'Invalid or expired verification code' }]);
    assert.equal((await p.confirm(email, code)).statusCode, 200, 'a wrong guess leaves the code usable');
    const reused = await p.confirm(email, code);
    assert.deepEqual([reused.statusCode, reused.json().detail], [400, 'Invalid or expired verification code']);
    const neverRequested = await p.confirm(uniqueEmail(), '123456');
    assert.equal(neverRequested.statusCode, 400);

    for (const [body, field] of [
      [{ email: 'not-an-address', code: '123456' }, 'email'],
      [{ email: uniqueEmail(), code: '12345' }, 'code'],
      [{ email: uniqueEmail(), code: 'x'.repeat(129) }, 'code'],
      [{ code: '123456' }, 'email'],
    ] as const) {
      const res = await p.post('/verification/confirm', body);
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.equal(typeof res.json().detail, 'string');
      assert.match(res.json().detail, new RegExp(`^${field}`));
    }
  });

  test('confirm: an expired code is 400', async () => {
    const p = phone();
    const email = uniqueEmail();
    const code = await codeFor(p, email);
    t.clock.advance(15 * MINUTE);
    const res = await p.confirm(email, code);
    assert.deepEqual([res.statusCode, res.json().detail], [400, 'Invalid or expired verification code']);
  });

  test('the verified address may register for 60 minutes', async () => {
    const p = phone();
    const inTime = uniqueEmail('in-time');
    const tooLate = uniqueEmail('too-late');
    await confirmed(p, inTime);
    await confirmed(p, tooLate);
    t.clock.advance(59 * MINUTE);
    assert.equal((await p.register(otherBody(inTime))).statusCode, 201, 'at 59 minutes');
    t.clock.advance(2 * MINUTE);
    const late = await p.register(otherBody(tooLate));
    assert.deepEqual([late.statusCode, late.json()], [400, { detail: NOT_VERIFIED }], 'at 61 minutes');
  });

  test('register: unverified 400, already registered 400, nothing created', async () => {
    const p = phone();
    const before = await userCount();
    const unverified = await p.register(otherBody(uniqueEmail('unverified')));
    assert.deepEqual([unverified.statusCode, unverified.json()], [400, { detail: NOT_VERIFIED }]);
    assert.equal(await userCount(), before);

    const email = uniqueEmail('twice');
    await createRegisteredUser(t, { email });
    await confirmed(p, email);
    const registered = await p.register(otherBody(email));
    assert.deepEqual([registered.statusCode, registered.json()], [400, { detail: ALREADY_REGISTERED }]);
    const user = await t.database.db.selectFrom('users').selectAll().where('email_hash', '=', hashOf(email)).executeTakeFirstOrThrow();
    assert.equal(user.profession, PROFILE.profession, 'the stored profile is untouched');
  });

  test('register: an account that only signed in through /auth/verify is completed, keeping its id', async () => {
    const email = uniqueEmail('incomplete');
    const signedIn = await signInByEmail(t, email);
    assert.equal(signedIn.registrationComplete, false);
    const p = phone();
    await confirmed(p, email);
    const before = await userCount();
    const res = await p.register(physicianBody(email));
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().user_id, signedIn.userId);
    assert.equal(await userCount(), before);
    const me = (await p.me(signedIn.token)).json();
    assert.equal(me.registration_complete, true);
    assert.equal(me.profession, 'physician');
  });

  test('register: every value of the vocabulary is accepted', async () => {
    const p = phone();
    const accepted = async (body: Record<string, unknown>) => {
      const email = uniqueEmail('vocab');
      await markVerified(email);
      // Each registration from its own client: the per-IP limit is not what this test is about.
      const res = await phone().register({ ...body, email });
      assert.equal(res.statusCode, 201, `${JSON.stringify(body)}: ${res.body}`);
      return (await p.me(res.json().access_token)).json();
    };
    for (const profession of ['physician', 'nurse']) {
      for (const seniority of senioritiesOf(profession)) {
        const user = await accepted({ ...otherBody(''), profession, seniority, role_level: seniority });
        assert.deepEqual([user.profession, user.seniority], [profession, seniority]);
      }
    }
    for (const group of DEPARTMENT_GROUP_CODES) {
      const user = await accepted({ ...otherBody(''), department_group: group, specialty: group });
      assert.equal(user.department_group, group);
    }
    for (const state of STATE_CODES) {
      assert.equal((await accepted({ ...otherBody(''), state_code: state })).state_code, state);
    }
    for (const { code, department_group } of SPECIALIZATIONS) {
      const user = await accepted({ ...otherBody(''), department_group, specialty: department_group, specialization_code: code });
      assert.equal(user.specialization_code, code);
    }
    for (const id of [1, 1218, 2134, 99_999, 0, null]) {
      assert.equal((await accepted({ ...physicianBody(''), hospital_ref_id: id })).hospital_ref_id, id);
    }
    const missing = await accepted({ ...otherBody(''), hospital_id: 'St. Elsewhere Klinikum' });
    assert.equal(missing.hospital_id, 'St. Elsewhere Klinikum', '"my hospital is missing": free text');
    const absent = { ...physicianBody('') } as Record<string, unknown>;
    delete absent.hospital_ref_id;
    assert.equal((await accepted(absent)).hospital_ref_id, null);
  });

  test('register: values outside the vocabulary are 422 with a string detail, and nothing is used up', async () => {
    const email = uniqueEmail('wrong');
    await markVerified(email);
    const p = phone();
    const base = physicianBody(email);
    const { hospital_id: _, ...withoutHospital } = base;
    const cases: [string, object][] = [
      ['unknown profession', { ...base, profession: 'surgeon' }],
      ['seniority of another profession', { ...base, seniority: 'pflegefachkraft', role_level: 'pflegefachkraft' }],
      ['unknown department group', { ...base, department_group: 'kardiologie', specialty: 'kardiologie' }],
      ['unknown state', { ...base, state_code: 'XX' }],
      ['unknown specialization code', { ...base, specialization_code: '9999' }],
      ['missing hospital_id', withoutHospital],
      ['hospital_id of 256 characters', { ...base, hospital_id: 'h'.repeat(256) }],
      ['empty specialty', { ...base, specialty: '' }],
      ['role_level of 51 characters', { ...base, role_level: 'r'.repeat(51) }],
      ['hospital_ref_id not an integer', { ...base, hospital_ref_id: '12' }],
      ['invalid e-mail', { ...base, email: 'nobody' }],
    ];
    for (const [name, body] of cases) {
      const res = await p.register(body);
      assert.equal(res.statusCode, 422, `${name}: ${res.body}`);
      assert.equal(typeof res.json().detail, 'string', name);
    }
    const seniority = await p.register({ ...base, seniority: 'pflegefachkraft', role_level: 'not_specified' });
    assert.deepEqual([seniority.statusCode, seniority.json().detail], [422, "Seniority 'pflegefachkraft' is not valid for profession 'physician'."]);
    assert.equal((await p.register(base)).statusCode, 201, 'the verification mark survived the refused attempts');
  });

  test('login: a returning user gets a token, then /auth/me', async () => {
    const email = uniqueEmail('returning');
    const { user } = await createRegisteredUser(t, { email });
    const p = phone();
    const res = await p.login(email, await codeFor(p, email));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json()).sort(), TOKEN_KEYS);
    assert.equal(res.json().user_id, user.id);
    const me = await p.me(res.json().access_token);
    assert.equal(me.json().user_id, user.id);
    const reused = await p.login(email, t.smtp.lastCodeFor(email));
    assert.deepEqual([reused.statusCode, reused.json().detail], [401, 'Invalid verification code.'], 'the code is single use');
  });

  test('login: an unknown address gets 404 "register first", no user, and may register without confirming again', async () => {
    const email = uniqueEmail('unknown');
    const p = phone();
    const code = await codeFor(p, email);
    const before = await userCount();
    const res = await p.login(email, code);
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().detail, 'No account for this address. Please register first.');
    assert.ok(res.json().detail.includes('register first'), 'the app offers registration on this substring');
    assert.equal(await userCount(), before, 'login never creates a user');
    assert.equal((await p.login(email, code)).statusCode, 401, 'the code was used up');

    const registered = await p.register(otherBody(email));
    assert.equal(registered.statusCode, 201, registered.body);
    assert.equal(await userCount(), before + 1);
  });

  test('login: an account that never completed registration counts as none', async () => {
    const email = uniqueEmail('half');
    const signedIn = await signInByEmail(t, email);
    const p = phone();
    const res = await p.login(email, await codeFor(p, email));
    assert.equal(res.statusCode, 404);
    const registered = await p.register(physicianBody(email));
    assert.equal(registered.json().user_id, signedIn.userId);
  });

  test('login: wrong and expired codes are one 401', async () => {
    const p = phone();
    const email = uniqueEmail('wrong-login');
    await createRegisteredUser(t, { email });
    const code = await codeFor(p, email);
    const wrong = await p.login(email, wrongCode(code));
    assert.deepEqual([wrong.statusCode, wrong.json()], [401, { detail: 'Invalid verification code.' }]);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer');
    t.clock.advance(15 * MINUTE);
    const expired = await p.login(email, code);
    assert.deepEqual([expired.statusCode, expired.json()], [401, { detail: 'Invalid verification code.' }]);
    const malformed = await p.login(email, 'abc');
    assert.equal(malformed.statusCode, 422);
  });

  test('the demo account: login and confirm with the fixed code, no mail', async () => {
    const p = phone();
    const sent = t.smtp.messages.length;
    assert.equal((await p.requestCode(DEMO.DEMO__EMAIL)).statusCode, 202);
    const login = await p.login(DEMO.DEMO__EMAIL, DEMO.DEMO__CODE);
    assert.equal(login.statusCode, 200, login.body);
    assert.equal((await p.me(login.json().access_token)).json().registration_complete, true);
    assert.equal((await p.confirm(DEMO.DEMO__EMAIL, DEMO.DEMO__CODE)).statusCode, 200);
    assert.equal((await p.confirm(DEMO.DEMO__EMAIL, '000000')).statusCode, 400);
    assert.equal((await p.login(DEMO.DEMO__EMAIL, '000000')).statusCode, 401);
    assert.equal(t.smtp.messages.length, sent, 'no mail for the demo address');
  });

  test('refresh: Bearer only (with or without an empty JSON body), a fresh lifetime, auth_time carried', async () => {
    const p = phone();
    const email = uniqueEmail('refresh');
    await confirmed(p, email);
    const first = (await p.register(otherBody(email))).json();
    const authTime = jwtPayload(first.access_token).auth_time;
    assert.equal(authTime, Math.floor(t.clock.now().getTime() / 1000), 'registration is an interactive sign-in');

    t.clock.advance(25 * DAY);
    const noContentType = await p.refresh(first.access_token);
    assert.equal(noContentType.statusCode, 200, noContentType.body);
    assert.deepEqual(Object.keys(noContentType.json()).sort(), TOKEN_KEYS);
    assert.equal(noContentType.json().expires_at, new Date(t.clock.now().getTime() + 30 * DAY).toISOString());
    assert.equal(jwtPayload(noContentType.json().access_token).auth_time, authTime);

    t.clock.advance(DAY);
    const emptyJson = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      headers: { ...bearer(noContentType.json().access_token), 'content-type': 'application/json' },
      remoteAddress: uniqueIp(),
    });
    assert.equal(emptyJson.statusCode, 200, emptyJson.body);
    assert.equal(jwtPayload(emptyJson.json().access_token).auth_time, authTime);
    assert.equal((await p.me(emptyJson.json().access_token)).statusCode, 200);

    const missing = await p.post('/auth/refresh');
    assert.deepEqual([missing.statusCode, missing.json().detail], [401, 'Not authenticated']);
    const garbage = await p.post('/auth/refresh', undefined, { authorization: 'Bearer not-a-token' });
    assert.equal(garbage.statusCode, 401);
  });

  test('refresh: the chain ends 365 days after the last sign-in', async () => {
    const p = phone();
    const email = uniqueEmail('long');
    await createRegisteredUser(t, { email });
    const start = t.clock.now().getTime();
    let token = (await p.login(email, await codeFor(p, email))).json().access_token as string;
    const cap = new Date(start + 365 * DAY).toISOString();
    for (let day = 29; day <= 348; day += 29) {
      t.clock.set(new Date(start + day * DAY));
      const res = await p.refresh(token);
      assert.equal(res.statusCode, 200, `day ${day}: ${res.body}`);
      token = res.json().access_token;
      const expected = Math.min(start + (day + 30) * DAY, start + 365 * DAY);
      assert.equal(res.json().expires_at, new Date(expected).toISOString(), `day ${day}`);
    }
    assert.equal(new Date(start + 348 * DAY + 30 * DAY) > new Date(cap), true);
    t.clock.set(new Date(start + 364 * DAY));
    const last = await p.refresh(token);
    assert.equal(last.json().expires_at, cap, 'clamped to auth_time + 365 days');
    t.clock.set(new Date(start + 365 * DAY));
    assert.equal((await p.refresh(last.json().access_token)).statusCode, 401, 'past the cap');

    // A new sign-in starts a new chain.
    const again = await p.login(email, await codeFor(p, email));
    assert.equal((await p.refresh(again.json().access_token)).statusCode, 200);
  });

  test('refresh: a token whose sign-in is over 365 days old is refused; tokens without auth_time count their iat', async () => {
    const { user } = await createRegisteredUser(t);
    const key = new TextEncoder().encode(TEST_SECRETS.SECRET_KEY);
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const sign = (claims: Record<string, unknown>, iat: number) =>
      new SignJWT({ typ: 'access', ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(user.id).setIssuedAt(iat).setExpirationTime(now + 10 * 86_400).sign(key);
    const p = phone();

    const tooOld = await p.refresh(await sign({ auth_time: now - 366 * 86_400 }, now - 86_400));
    assert.deepEqual([tooOld.statusCode, tooOld.json()], [401, { detail: 'Session too old to renew. Please sign in again.' }]);

    const legacyIat = now - 20 * 86_400;
    const legacy = await p.refresh(await sign({}, legacyIat));
    assert.equal(legacy.statusCode, 200, legacy.body);
    assert.equal(jwtPayload(legacy.json().access_token).auth_time, legacyIat);

    const legacyOld = await p.refresh(await sign({}, now - 365 * 86_400));
    assert.equal(legacyOld.statusCode, 401);
  });

  test('refresh: a deleted user gets 401', async () => {
    const { token } = await createRegisteredUser(t);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(token) })).statusCode, 204);
    const res = await phone().refresh(token);
    assert.equal(res.statusCode, 401);
    assert.equal(typeof res.json().detail, 'string');
  });

  test('our tokens from /auth/verify carry auth_time and refresh too', async () => {
    const signedIn = await signInByEmail(t, uniqueEmail('ours'));
    assert.equal(jwtPayload(signedIn.token).auth_time, Math.floor(t.clock.now().getTime() / 1000));
    assert.equal((await phone().refresh(signedIn.token)).statusCode, 200);
  });

  test('our Bearer /auth/register still answers 200 with the user object', async () => {
    const signedIn = await signInByEmail(t, uniqueEmail('bearer'));
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', headers: bearer(signedIn.token), payload: { ...PROFILE, ...CONSENT } });
    assert.equal(res.statusCode, 200, res.body);
    for (const key of USER_OUT_KEYS) assert.ok(key in res.json(), key);
    assert.equal(res.json().registration_complete, true);
    const badToken = await t.app.inject({ method: 'POST', url: '/auth/register', headers: { authorization: 'Bearer nope' }, payload: { ...PROFILE, ...CONSENT } });
    assert.equal(badToken.statusCode, 401, 'a token-bearing request never falls through to the token-less registration');
  });

  test('OpenAPI documents both registrations as one operation, the app routes under "app"', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const register = doc.paths['/auth/register'].post;
    assert.deepEqual(Object.keys(register.responses).filter((s: string) => s.startsWith('2')).sort(), ['200', '201']);
    assert.deepEqual(register.security, [{}, { bearerAuth: [] }]);
    assert.equal(register.requestBody.content['application/json'].schema.oneOf.length, 2);
    assert.match(register.description, /Without an `Authorization` header/);
    assert.match(register.description, /With `Authorization: Bearer/);
    for (const [path, method] of [['/verification/request', 'post'], ['/verification/confirm', 'post'], ['/auth/login', 'post'], ['/auth/refresh', 'post'], ['/auth/me/profile', 'patch']] as const) {
      assert.ok(doc.paths[path][method].tags.includes('app'), path);
    }
    assert.match(doc.tags.find((tag: { name: string }) => tag.name === 'app').description, /v2\.1\.0–v2\.1\.4/);
  });
});
