import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { DAY } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

const secret = new TextEncoder().encode(TEST_SECRETS.SECRET_KEY);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe(`bearer authentication (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({
      beforeReady(app) {
        // Test-only routes, one per hook.
        const who = async (request: { user: { id: string } | null }) => ({ user_id: request.user?.id ?? null });
        app.get('/test/required', { preHandler: app.auth.required }, who);
        app.get('/test/registered', { preHandler: app.auth.registered }, who);
        app.get('/test/optional', { preHandler: app.auth.optional }, who);
      },
    });
  });
  after(async () => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const assertUnauthorized = (res: Awaited<ReturnType<typeof get>>, what: string) => {
    assert.equal(res.statusCode, 401, what);
    assert.equal(res.headers['www-authenticate'], 'Bearer', what);
    assert.equal(typeof res.json().detail, 'string', what);
  };
  /** A token signed with the right secret, with chosen claims. */
  const signed = (claims: Record<string, unknown>, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
  const now = () => Math.floor(t.clock.now().getTime() / 1000);

  test('tokens are HS256 with sub, iat, exp (30 days), typ "access" and auth_time', async () => {
    const { token, user } = await createRegisteredUser(t);
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    assert.deepEqual(Object.keys(claims).sort(), ['auth_time', 'exp', 'iat', 'sub', 'typ']);
    assert.equal(claims.auth_time, now(), 'a fresh sign-in');
    assert.equal(claims.sub, user.id);
    assert.equal(claims.typ, 'access');
    assert.equal(claims.iat, now());
    assert.equal(claims.exp! - claims.iat!, 30 * 24 * 60 * 60);
  });

  test('every kind of bad token is 401 with WWW-Authenticate: Bearer', async () => {
    const { token, user } = await createRegisteredUser(t);
    const other = await createRegisteredUser(t);
    const [header, , signature] = token.split('.');
    const valid = { sub: user.id, typ: 'access', iat: now(), exp: now() + 3600 };
    const { privateKey } = await generateKeyPair('RS256');
    const cases: [string, string][] = [
      ['no Authorization header', ''],
      ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['Bearer without token', 'Bearer '],
      ['not a JWT', 'Bearer not-a-token'],
      ['two parts', `Bearer ${header}.${base64url(valid)}`],
      ['alg none', `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(valid)}.`],
      ['HS512 with the right secret', `Bearer ${await signed(valid, 'HS512')}`],
      ['RS256', `Bearer ${await new SignJWT(valid).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)}`],
      ['wrong secret', `Bearer ${await new SignJWT(valid).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(48)))}`],
      ['payload swapped to another user', `Bearer ${header}.${base64url({ ...decodeJwt(token), sub: other.user.id })}.${signature}`],
      ['typ missing', `Bearer ${await signed({ ...valid, typ: undefined })}`],
      ['typ refresh', `Bearer ${await signed({ ...valid, typ: 'refresh' })}`],
      ['exp missing', `Bearer ${await signed({ ...valid, exp: undefined })}`],
      ['sub missing', `Bearer ${await signed({ ...valid, sub: undefined })}`],
      ['sub not a user id', `Bearer ${await signed({ ...valid, sub: "1' or '1'='1" })}`],
      ['sub of no existing user', `Bearer ${await signed({ ...valid, sub: randomUUID() })}`],
      ['expired', `Bearer ${await signed({ ...valid, iat: now() - 31 * 86400, exp: now() - 1 })}`],
    ];
    for (const [what, authorization] of cases) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      assertUnauthorized(await get('/auth/me', headers), what);
      assertUnauthorized(await get('/test/required', headers), what);
    }
    assert.equal((await get('/auth/me', bearer(token))).statusCode, 200, 'the genuine token still works');
    assert.equal((await get('/auth/me', { authorization: `bearer  ${token}` })).statusCode, 200, 'the scheme is case-insensitive');
  });

  test('a token expires 30 days after it was issued', async () => {
    const { token } = await createRegisteredUser(t);
    t.clock.advance(30 * DAY - 1000);
    assert.equal((await get('/auth/me', bearer(token))).statusCode, 200, 'one second before expiry');
    t.clock.advance(1000);
    assertUnauthorized(await get('/auth/me', bearer(token)), 'at expiry');
  });

  test('registered: 403 until registration is complete', async () => {
    const unregistered = await createRegisteredUser(t, { registered: false });
    const res = await get('/test/registered', bearer(unregistered.token));
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { detail: 'Registration required' });
    assert.equal((await get('/test/required', bearer(unregistered.token))).statusCode, 200, 'required does not ask for a profile');
    const registered = await createRegisteredUser(t);
    const ok = await get('/test/registered', bearer(registered.token));
    assert.deepEqual([ok.statusCode, ok.json()], [200, { user_id: registered.user.id }]);
    assertUnauthorized(await get('/test/registered'), 'no token at all');
  });

  test('optional: no token is anonymous, a valid one identifies, an invalid one is still 401', async () => {
    assert.deepEqual((await get('/test/optional')).json(), { user_id: null });
    const { token, user } = await createRegisteredUser(t);
    assert.deepEqual((await get('/test/optional', bearer(token))).json(), { user_id: user.id });
    assertUnauthorized(await get('/test/optional', { authorization: 'Bearer nonsense' }), 'invalid token');
  });

  test('every response to a request with credentials says Cache-Control: no-store', async () => {
    const { token } = await createRegisteredUser(t);
    const event = await t.app.inject({
      method: 'POST',
      url: '/work-events',
      headers: bearer(token),
      payload: { date: '2026-03-10', planned_minutes: 480, actual_minutes: 500 },
    });
    assert.equal(event.statusCode, 201);
    const id = event.json().id;
    const requests = [
      { method: 'GET', url: '/work-events' },
      { method: 'GET', url: '/work-events?limit=nonsense' },
      { method: 'PATCH', url: `/work-events/${id}`, payload: { actual_minutes: 510 } },
      { method: 'GET', url: '/finalized-weeks' },
      { method: 'POST', url: '/finalized-weeks', payload: { week_start: '2026-03-02', planned_hours: 40, actual_hours: 45 } },
      { method: 'GET', url: '/auth/me' },
      { method: 'GET', url: '/auth/me/privacy' },
      { method: 'POST', url: '/feedback', payload: { description: 'works' } },
      { method: 'GET', url: '/test/required' },
      { method: 'GET', url: '/taxonomy' },
      { method: 'DELETE', url: `/work-events/${id}` },
    ] as const;
    for (const request of requests) {
      const res = await t.app.inject({ ...request, headers: bearer(token) });
      assert.ok(res.statusCode < 500, `${request.method} ${request.url}: ${res.statusCode}`);
      assert.equal(res.headers['cache-control'], 'no-store', `${request.method} ${request.url} (${res.statusCode})`);
    }
    const refused = await t.app.inject({ method: 'GET', url: '/work-events', headers: { authorization: 'Bearer nonsense' } });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['cache-control'], 'no-store');
    assert.equal((await get('/taxonomy')).headers['cache-control'], 'public, max-age=3600', 'public answers stay cacheable');
  });
});
