/**
 * Sign in with Apple and Google (contract §4.14): the tests make their own RSA keys, publish them from a local
 * JWKS server and sign their own identity tokens. Nothing leaves 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { APP_REGISTRATION, bearer, createRegisteredUser, uniqueIp } from '../helpers/auth.js';
import { MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { newSigningKey, signIdentityToken, startJwksServer, type JwksServer, type SigningKey } from '../helpers/jwks.js';

const BUNDLE_ID = 'com.openworkinghours.mobileapp';
const GOOGLE_CLIENT_ID = 'test-client.apps.googleusercontent.com';
const APPLE_ISSUER = 'https://appleid.apple.com';
const APPLE_FAILED = { detail: 'Apple authentication failed.' };
const GOOGLE_FAILED = { detail: 'Google authentication failed.' };
const REGISTRATION_INVALID = { detail: 'Registration token invalid or expired. Please sign in again.' };
const ALREADY_REGISTERED = { detail: 'Account already registered. Please sign in instead.' };

/** The keys of the user object the app reads (contract §3). */
const USER_KEYS = [
  'user_id', 'hospital_id', 'specialty', 'role_level', 'state_code', 'created_at', 'profession', 'seniority',
  'department_group', 'specialization_code', 'hospital_ref_id', 'terms_accepted_version', 'privacy_accepted_version',
  'consent_accepted_at',
];

interface Setup {
  t: TestApp;
  jwks: JwksServer;
  key: SigningKey;
  close(): Promise<void>;
}

/** A JWKS server with one key and an app that fetches Apple's and Google's keys from it. */
async function setup(env: Record<string, string> = {}): Promise<Setup> {
  const key = await newSigningKey();
  const jwks = await startJwksServer([key]);
  const t = await createTestApp({
    env: { APPLE_JWKS_URL: `${jwks.url}/apple`, GOOGLE_JWKS_URL: `${jwks.url}/google`, GOOGLE_CLIENT_ID, ...env },
  });
  return {
    t,
    jwks,
    key,
    async close() {
      await t.close();
      await jwks.close();
    },
  };
}

const seconds = (t: TestApp) => Math.floor(t.clock.now().getTime() / 1000);

const appleToken = (s: Setup, options: Partial<Parameters<typeof signIdentityToken>[0]> = {}) =>
  signIdentityToken({ key: s.key, issuer: APPLE_ISSUER, audience: BUNDLE_ID, issuedAt: seconds(s.t), ...options });

const googleToken = (s: Setup, options: Partial<Parameters<typeof signIdentityToken>[0]> = {}) =>
  signIdentityToken({ key: s.key, issuer: 'https://accounts.google.com', audience: GOOGLE_CLIENT_ID, issuedAt: seconds(s.t), ...options });

const signInApple = (t: TestApp, identity_token: string, remoteAddress = uniqueIp()) =>
  t.app.inject({ method: 'POST', url: '/auth/apple', payload: { identity_token }, remoteAddress });

const signInGoogle = (t: TestApp, id_token: string, remoteAddress = uniqueIp()) =>
  t.app.inject({ method: 'POST', url: '/auth/google', payload: { id_token }, remoteAddress });

const register = (t: TestApp, social_registration_token: string, body: Record<string, unknown> = APP_REGISTRATION, remoteAddress = uniqueIp()) =>
  t.app.inject({ method: 'POST', url: '/auth/social/register', payload: { ...body, social_registration_token }, remoteAddress });

const countRows = async (t: TestApp, table: 'users' | 'social_identities') =>
  Number((await t.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe(`sign in with Apple and Google (${backend})`, () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(async () => s.close());

  /** The whole first sign-in of a provider, then the returning sign-in. */
  async function firstAndReturningSignIn(signIn: (token: string) => ReturnType<typeof signInApple>, token: string) {
    const first = await signIn(token);
    assert.equal(first.statusCode, 200, first.body);
    const pending = first.json();
    assert.equal(pending.status, 'registration_required');
    assert.equal(typeof pending.social_registration_token, 'string');
    assert.equal(new Date(pending.expires_at).getTime(), s.t.clock.now().getTime() + 30 * MINUTE);
    assert.equal(first.headers['cache-control'], 'no-store');

    const created = await register(s.t, pending.social_registration_token);
    assert.equal(created.statusCode, 201, created.body);
    const session = created.json();
    assert.equal(session.token_type, 'bearer');
    assert.ok(new Date(session.expires_at).getTime() > s.t.clock.now().getTime() + 7 * 24 * 60 * MINUTE);

    const me = await s.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(session.access_token) });
    assert.equal(me.statusCode, 200, me.body);
    const user = me.json();
    for (const key of USER_KEYS) assert.ok(key in user, `the user object has ${key}`);
    assert.equal(user.user_id, session.user_id);
    assert.equal(user.hospital_ref_id, null);
    assert.equal(user.specialization_code, null);
    assert.equal(user.profession, 'physician');
    assert.equal(user.department_group, 'innere_medizin');
    assert.equal(user.specialty, 'innere_medizin');
    assert.equal(user.state_code, 'BE');
    assert.equal(user.terms_accepted_version, '2026-05');
    assert.equal(user.consent_accepted_at, s.t.clock.now().toISOString());

    // The same identity again: signed in, with the user object the app stores.
    const again = await signIn(token);
    assert.equal(again.statusCode, 200, again.body);
    const back = again.json();
    assert.equal(back.status, 'authenticated');
    assert.equal(back.user_id, session.user_id);
    assert.equal(back.token_type, 'bearer');
    assert.deepEqual(back.user, user);
    const meAgain = await s.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(back.access_token) });
    assert.equal(meAgain.statusCode, 200);
    return session as { access_token: string; user_id: string };
  }

  test('Apple: unknown identity registers, then signs in with its user; keys fetched once', async () => {
    const subject = '001234.abcdef0123456789abcdef0123456789.1234';
    const token = await appleToken(s, { subject });
    const before = s.jwks.fetches('/apple');
    const session = await firstAndReturningSignIn((tk) => signInApple(s.t, tk), token);
    assert.equal(s.jwks.fetches('/apple') - before, before === 0 ? 1 : 0, 'the keys are cached');

    // The export lists the linked identity.
    const exported = await s.t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(session.access_token) });
    assert.equal(exported.statusCode, 200);
    assert.deepEqual(exported.json().social_identities, [{ provider: 'apple', subject, created_at: s.t.clock.now().toISOString() }]);
    assert.match(exported.json().email_address, /signs in with Apple or Google/);
    // No e-mail hash of an address: the stored one is derived from the identity.
    const stored = await s.t.database.db.selectFrom('users').select('email_hash').where('id', '=', session.user_id).executeTakeFirstOrThrow();
    assert.match(stored.email_hash, /^social:apple:[0-9a-f]{64}$/);
  });

  test('Google: unknown identity registers, then signs in; both issuer spellings are accepted', async () => {
    const token = await googleToken(s);
    await firstAndReturningSignIn((tk) => signInGoogle(s.t, tk), token);
    const other = await googleToken(s, { issuer: 'accounts.google.com' });
    const res = await signInGoogle(s.t, other);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'registration_required');
  });

  test('the same subject at Apple and at Google are two identities', async () => {
    const subject = 'shared-subject-123';
    const apple = await signInApple(s.t, await appleToken(s, { subject }));
    assert.equal((await register(s.t, apple.json().social_registration_token)).statusCode, 201);
    const google = await signInGoogle(s.t, await googleToken(s, { subject }));
    assert.equal(google.json().status, 'registration_required');
  });

  test('invalid Apple tokens are 401', async () => {
    const now = seconds(s.t);
    const stranger = await newSigningKey(s.key.kid); // same key id, another key: the signature does not verify
    const unknownKid = await newSigningKey();
    const cases: Record<string, string> = {
      'wrong audience': await appleToken(s, { audience: 'com.example.other' }),
      'Google audience': await appleToken(s, { audience: GOOGLE_CLIENT_ID }),
      'wrong issuer': await appleToken(s, { issuer: 'https://accounts.google.com' }),
      expired: await appleToken(s, { issuedAt: now - 3600, expiresAt: now - 600 }),
      'not yet valid': await appleToken(s, { claims: { nbf: now + 3600 } }),
      'no expiry': await appleToken(s, { expiresAt: null }),
      'no subject': await appleToken(s, { subject: null }),
      'empty subject': await appleToken(s, { subject: '' }),
      'signed by another key': await appleToken(s, { key: stranger }),
      'unknown key id': await appleToken(s, { key: unknownKid }),
      'HS256 with the public key as secret': await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256', kid: s.key.kid })
        .setIssuer(APPLE_ISSUER)
        .setAudience(BUNDLE_ID)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(JSON.stringify(s.key.jwk))),
      'alg none': `${b64({ alg: 'none', kid: s.key.kid })}.${b64({ iss: APPLE_ISSUER, aud: BUNDLE_ID, sub: 'x', exp: now + 600 })}.`,
      'three random parts': 'abc.def.ghi',
      'not a JWT': 'hello',
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await signInApple(s.t, token);
      assert.equal(res.statusCode, 401, `${name}: ${res.body}`);
      assert.deepEqual(res.json(), APPLE_FAILED, name);
    }
    // A valid token still works afterwards.
    assert.equal((await signInApple(s.t, await appleToken(s))).statusCode, 200);
  });

  test('invalid Google tokens are 401 with Google in the message', async () => {
    const now = seconds(s.t);
    for (const token of [
      await googleToken(s, { audience: 'other-client.apps.googleusercontent.com' }),
      await googleToken(s, { issuer: APPLE_ISSUER }),
      await googleToken(s, { issuedAt: now - 7200, expiresAt: now - 3600 }),
    ]) {
      const res = await signInGoogle(s.t, token);
      assert.equal(res.statusCode, 401, res.body);
      assert.deepEqual(res.json(), GOOGLE_FAILED);
    }
  });

  test('a body without the token, or with another type, is 422', async () => {
    for (const payload of [{}, { identity_token: '' }, { identity_token: 42 }, { id_token: 'x' }]) {
      const res = await s.t.app.inject({ method: 'POST', url: '/auth/apple', payload, remoteAddress: uniqueIp() });
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.equal(typeof res.json().detail, 'string');
    }
  });

  test('a registration token is good for one account: used twice, the second is 400', async () => {
    const pending = (await signInApple(s.t, await appleToken(s))).json();
    assert.equal((await register(s.t, pending.social_registration_token)).statusCode, 201);
    const second = await register(s.t, pending.social_registration_token);
    assert.equal(second.statusCode, 400);
    assert.deepEqual(second.json(), ALREADY_REGISTERED);
  });

  test('two registrations of one identity at once: one account, the other 400', async () => {
    const subject = `racing-${uniqueIp()}`;
    const pending = (await signInApple(s.t, await appleToken(s, { subject }))).json();
    const usersBefore = await countRows(s.t, 'users');
    const results = await Promise.all(Array.from({ length: 5 }, () => register(s.t, pending.social_registration_token)));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 400, 400, 400, 400]);
    assert.equal((await countRows(s.t, 'users')) - usersBefore, 1);
    const identities = await s.t.database.db.selectFrom('social_identities').selectAll().where('subject', '=', subject).execute();
    assert.equal(identities.length, 1);
    assert.equal(identities[0]!.user_id, results.find((r) => r.statusCode === 201)!.json().user_id);
  });

  test('a profile that breaks the rules is 422 and creates nothing', async () => {
    const pending = (await signInApple(s.t, await appleToken(s))).json();
    const users = await countRows(s.t, 'users');
    const identities = await countRows(s.t, 'social_identities');
    for (const body of [
      { ...APP_REGISTRATION, seniority: 'pflegefachkraft' },
      { ...APP_REGISTRATION, profession: 'astronaut' },
      { ...APP_REGISTRATION, state_code: 'XX' },
      { ...APP_REGISTRATION, email: 'doctor@klinik.example' },
      Object.fromEntries(Object.entries(APP_REGISTRATION).filter(([k]) => k !== 'terms_version')),
    ]) {
      const res = await register(s.t, pending.social_registration_token, body);
      assert.equal(res.statusCode, 422, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(typeof res.json().detail, 'string');
    }
    assert.equal(await countRows(s.t, 'users'), users);
    assert.equal(await countRows(s.t, 'social_identities'), identities);
    // The token is still good for a correct profile.
    assert.equal((await register(s.t, pending.social_registration_token)).statusCode, 201);
  });

  test('an expired registration token, a forged one, or an access token is 401', async () => {
    const pending = (await signInApple(s.t, await appleToken(s))).json();
    const { token: accessToken } = await createRegisteredUser(s.t);
    const forged = await new SignJWT({ type: 'social_registration', provider: 'apple' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('someone')
      .setIssuedAt(seconds(s.t))
      .setExpirationTime(seconds(s.t) + 600)
      .sign(new TextEncoder().encode('not-the-secret-key-0123456789abcdef'));
    const unknownProvider = await new SignJWT({ type: 'social_registration', provider: 'facebook' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('someone')
      .setIssuedAt(seconds(s.t))
      .setExpirationTime(seconds(s.t) + 600)
      .sign(new TextEncoder().encode(TEST_SECRETS.SECRET_KEY));
    for (const token of [accessToken, forged, unknownProvider, 'not-a-token']) {
      const res = await register(s.t, token);
      assert.equal(res.statusCode, 401, res.body);
      assert.deepEqual(res.json(), REGISTRATION_INVALID);
    }
    // Nor is a registration token an access token.
    const me = await s.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(pending.social_registration_token) });
    assert.equal(me.statusCode, 401);

    s.t.clock.advance(31 * MINUTE);
    try {
      const late = await register(s.t, pending.social_registration_token);
      assert.equal(late.statusCode, 401, late.body);
      assert.deepEqual(late.json(), REGISTRATION_INVALID);
    } finally {
      s.t.clock.advance(-31 * MINUTE);
    }
  });

  test('erasing the account removes the identity: the same Apple token then asks to register again', async () => {
    const token = await appleToken(s);
    const pending = (await signInApple(s.t, token)).json();
    const session = (await register(s.t, pending.social_registration_token)).json();
    const linked = () => s.t.database.db.selectFrom('social_identities').selectAll().where('user_id', '=', session.user_id).execute();
    assert.equal((await linked()).length, 1);

    const erased = await s.t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(session.access_token) });
    assert.equal(erased.statusCode, 204);
    assert.deepEqual(await linked(), []);
    const again = await signInApple(s.t, token);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().status, 'registration_required');
  });

  test('20 sign-in attempts per hour and client, per endpoint; then 429 with Retry-After', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 20; i++) assert.equal((await signInApple(s.t, 'garbage', ip)).statusCode, 401);
    const limited = await signInApple(s.t, 'garbage', ip);
    assert.equal(limited.statusCode, 429);
    assert.equal(typeof limited.json().detail, 'string');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // Other endpoints count separately.
    assert.equal((await signInGoogle(s.t, 'garbage', ip)).statusCode, 401);
    for (let i = 0; i < 20; i++) assert.equal((await register(s.t, 'garbage', APP_REGISTRATION, ip)).statusCode, 401);
    assert.equal((await register(s.t, 'garbage', APP_REGISTRATION, ip)).statusCode, 429);
  });
});

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe(`provider keys: caching, rotation, outages (${backend})`, () => {
  test('a token that is not an RS256 JWT is refused before any key fetch', async () => {
    const s = await setup();
    try {
      const now = seconds(s.t);
      for (const token of [
        'hello',
        'a.b.c',
        `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`,
        `${b64({ alg: 'HS256', kid: 'k' })}.${b64({ sub: 'x', exp: now + 60 })}.c2ln`,
      ]) {
        assert.equal((await signInApple(s.t, token)).statusCode, 401);
        assert.equal((await signInGoogle(s.t, token)).statusCode, 401);
      }
      assert.equal(s.jwks.fetches('/apple') + s.jwks.fetches('/google'), 0);
    } finally {
      await s.close();
    }
  });

  test('key rotation: a new key id is fetched (at most once per 30 s); a withdrawn key no longer verifies', async () => {
    const s = await setup();
    try {
      const oldToken = await appleToken(s);
      assert.equal((await signInApple(s.t, oldToken)).statusCode, 200);
      assert.equal(s.jwks.fetches('/apple'), 1);

      // Unknown key ids right after a fetch do not make us fetch again (cooldown).
      const newKey = await newSigningKey();
      s.jwks.keys = [newKey];
      const newToken = await appleToken(s, { key: newKey });
      assert.equal((await signInApple(s.t, newToken)).statusCode, 401);
      assert.equal(s.jwks.fetches('/apple'), 1);

      // After the cooldown the new key id makes us fetch, and the new key verifies.
      s.t.clock.advance(31_000);
      const accepted = await signInApple(s.t, newToken);
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.equal(s.jwks.fetches('/apple'), 2);

      // The old key is gone from the provider's set, so from ours: its tokens are refused.
      const res = await signInApple(s.t, await appleToken(s));
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), APPLE_FAILED);

      // While the provider publishes both keys, both verify.
      s.t.clock.advance(31_000);
      s.jwks.keys = [s.key, newKey];
      assert.equal((await signInApple(s.t, await appleToken(s))).statusCode, 200);
      assert.equal((await signInApple(s.t, await appleToken(s, { key: newKey }))).statusCode, 200);
      assert.equal(s.jwks.fetches('/apple'), 3);
    } finally {
      await s.close();
    }
  });

  test('cached keys are refreshed after 10 minutes, and kept when the provider is down', async () => {
    const s = await setup();
    try {
      assert.equal((await signInApple(s.t, await appleToken(s))).statusCode, 200);
      s.t.clock.advance(11 * MINUTE);
      s.jwks.mode = 'fail';
      const res = await signInApple(s.t, await appleToken(s));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(s.jwks.fetches('/apple'), 2);
    } finally {
      await s.close();
    }
  });

  test('provider unreachable, failing or hanging: 503 with a detail, within seconds', async () => {
    // Nothing listens at the default test URL.
    const closed = await setup({ APPLE_JWKS_URL: 'http://127.0.0.1:9/keys' });
    try {
      const res = await signInApple(closed.t, await appleToken(closed));
      assert.equal(res.statusCode, 503, res.body);
      assert.deepEqual(res.json(), { detail: 'Apple sign-in is temporarily unavailable. Please try again later.' });
    } finally {
      await closed.close();
    }

    const s = await setup();
    try {
      s.jwks.mode = 'fail';
      const failing = await signInGoogle(s.t, await googleToken(s));
      assert.equal(failing.statusCode, 503, failing.body);
      assert.equal(typeof failing.json().detail, 'string');

      s.jwks.mode = 'hang';
      const started = Date.now();
      const hanging = await signInApple(s.t, await appleToken(s));
      assert.equal(hanging.statusCode, 503, hanging.body);
      assert.ok(Date.now() - started < 10_000, 'answered after the fetch timeout, not hung');
    } finally {
      await s.close();
    }
  });

  test('without GOOGLE_CLIENT_ID Google sign-in is 501; Apple works with the default bundle id', async () => {
    const s = await setup({ GOOGLE_CLIENT_ID: '' });
    try {
      const res = await signInGoogle(s.t, await googleToken(s));
      assert.equal(res.statusCode, 501);
      assert.deepEqual(res.json(), { detail: 'Google Sign-In is not configured.' });
      assert.equal(s.jwks.fetches('/google'), 0);
      assert.equal((await signInApple(s.t, await appleToken(s))).statusCode, 200);
    } finally {
      await s.close();
    }
  });
});
