import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseBasicAuth } from '../../src/plugins/admin-auth.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { basicAuth } from '../helpers/admin-seed.js';
import { MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

const ADMIN_URLS = ['/admin', '/admin/data', '/admin/feedback', '/admin/logs'];

describe(`admin authentication (${backend})`, () => {
  describe('without ADMIN_PASSWORD', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp();
    });
    after(async () => t.close());

    test('every admin endpoint answers 503 "Admin dashboard disabled", even with credentials', async () => {
      for (const url of ADMIN_URLS) {
        const res = await t.app.inject({ method: 'GET', url, headers: { authorization: basicAuth('admin', '') } });
        assert.equal(res.statusCode, 503, url);
        assert.deepEqual(res.json(), { detail: 'Admin dashboard disabled' });
        assert.equal(res.headers['cache-control'], 'no-store');
      }
      const patch = await t.app.inject({ method: 'PATCH', url: `/admin/feedback/${crypto.randomUUID()}`, payload: { status: 'resolved' } });
      assert.equal(patch.statusCode, 503);
    });

    test('the rest of the service runs normally', async () => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      const feedback = await t.app.inject({ method: 'POST', url: '/feedback', payload: { description: 'works' } });
      assert.equal(feedback.statusCode, 201);
    });
  });

  describe('with ADMIN_USERNAME and ADMIN_PASSWORD', () => {
    let t: TestApp;
    const right = basicAuth('operator', 'correct horse battery staple');
    before(async () => {
      t = await createTestApp({ env: { ADMIN_USERNAME: 'operator', ADMIN_PASSWORD: 'correct horse battery staple' } });
    });
    after(async () => t.close());

    const get = (url: string, authorization?: string, ip = '198.51.100.1') =>
      t.app.inject({ method: 'GET', url, remoteAddress: ip, headers: authorization ? { authorization } : {} });

    test('no credentials: 401 with a Basic challenge, so the browser asks for them', async () => {
      for (const url of ADMIN_URLS) {
        const res = await get(url);
        assert.equal(res.statusCode, 401, url);
        assert.match(String(res.headers['www-authenticate']), /^Basic realm="[^"]+"/);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.equal(typeof res.json().detail, 'string');
      }
    });

    test('wrong password, wrong username, other schemes, garbage: 401', async () => {
      for (const authorization of [
        basicAuth('operator', 'wrong'),
        basicAuth('admin', 'correct horse battery staple'),
        basicAuth('operator', 'correct horse battery staple '),
        basicAuth('operator', ''),
        'Bearer correct horse battery staple',
        'Basic !!!not-base64',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
      ]) {
        const res = await get('/admin/data', authorization, '198.51.100.2');
        assert.equal(res.statusCode, 401, authorization);
        assert.match(String(res.headers['www-authenticate']), /^Basic /);
      }
    });

    test('right credentials: 200 on every endpoint, with no-store', async () => {
      for (const url of ADMIN_URLS) {
        const res = await get(url, right, '198.51.100.3');
        assert.equal(res.statusCode, 200, url);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.ok(res.headers['content-security-policy'], url);
      }
    });

    test('10 failed logins per IP in 15 minutes, then 429 even with the right password', async () => {
      const ip = '203.0.113.7';
      // Requests without credentials are how browsers start; they do not count.
      for (let i = 0; i < 15; i++) assert.equal((await get('/admin/data', undefined, ip)).statusCode, 401);
      for (let i = 0; i < 10; i++) assert.equal((await get('/admin/data', basicAuth('operator', `guess-${i}`), ip)).statusCode, 401);

      const locked = await get('/admin/data', right, ip);
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.headers['retry-after'], String(15 * 60));
      assert.equal(locked.headers['cache-control'], 'no-store');
      assert.match(locked.json().detail, /failed admin logins/);

      assert.equal((await get('/admin/data', right, '203.0.113.8')).statusCode, 200, 'other addresses are not affected');

      t.clock.advance(15 * MINUTE - 1000);
      assert.equal((await get('/admin/data', right, ip)).statusCode, 429);
      t.clock.advance(1001);
      assert.equal((await get('/admin/data', right, ip)).statusCode, 200);
    });

    test('100 wrong logins sent at once: at most 10 are evaluated (401), the rest 429', async () => {
      const ip = '203.0.113.20';
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => get('/admin/data', basicAuth('operator', `parallel-guess-${i}`), ip)),
      );
      const statuses = answers.map((res) => res.statusCode);
      const unauthorized = statuses.filter((s) => s === 401).length;
      assert.ok(unauthorized <= 10, `${unauthorized} wrong passwords were compared`);
      assert.equal(statuses.filter((s) => s === 429).length, 100 - unauthorized);
      // Refused guesses are not kept (Retry-After stays truthful), so under a race fewer than 10 may have been
      // compared; the rest of the 10 can follow, and not one more.
      for (let i = unauthorized; i < 10; i++) assert.equal((await get('/admin/data', basicAuth('operator', `late-${i}`), ip)).statusCode, 401);
      assert.equal((await get('/admin/data', right, ip)).statusCode, 429, 'after 10 compared guesses the address is locked');
    });

    test('a successful login between failures leaves the count of failures as it was', async () => {
      const ip = '203.0.113.21';
      for (let i = 0; i < 9; i++) assert.equal((await get('/admin/data', basicAuth('operator', `g-${i}`), ip)).statusCode, 401);
      for (let i = 0; i < 5; i++) assert.equal((await get('/admin/data', right, ip)).statusCode, 200);
      assert.equal((await get('/admin/data', basicAuth('operator', 'tenth'), ip)).statusCode, 401);
      assert.equal((await get('/admin/data', right, ip)).statusCode, 429);
    });

    describe('cross-site writes', () => {
      const aggregate = (headers: Record<string, string>) =>
        t.app.inject({
          method: 'POST',
          url: '/admin/aggregate',
          remoteAddress: '198.51.100.30',
          headers: { authorization: right, host: 'owh.example', ...headers },
        });
      const lastRun = async () => (await get('/admin/data', right, '198.51.100.31')).json().last_aggregation;

      test('a form post from another site (Origin evil, text/plain) is refused with 403 and runs nothing', async () => {
        const before = await lastRun();
        const res = await aggregate({ origin: 'https://evil.example', 'content-type': 'text/plain' });
        assert.equal(res.statusCode, 403);
        assert.match(res.json().detail, /another site/);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.deepEqual(await lastRun(), before, 'no aggregation ran');

        for (const headers of <Record<string, string>[]>[
          { 'sec-fetch-site': 'cross-site' },
          { 'sec-fetch-site': 'same-site' },
          { origin: 'null' },
          { origin: 'https://owh.example.evil.example' },
          { 'sec-fetch-site': 'cross-site', origin: 'https://owh.example' },
        ]) {
          assert.equal((await aggregate(headers)).statusCode, 403, JSON.stringify(headers));
        }
        const patch = await t.app.inject({
          method: 'PATCH',
          url: `/admin/feedback/${crypto.randomUUID()}`,
          headers: { authorization: right, origin: 'https://evil.example', 'content-type': 'text/plain' },
          payload: '{"status":"resolved"}',
          remoteAddress: '198.51.100.30',
        });
        assert.equal(patch.statusCode, 403);
      });

      test('the same origin, a typed-in request and clients without these headers (curl) are served', async () => {
        for (const headers of <Record<string, string>[]>[
          {},
          { origin: 'https://owh.example' },
          { origin: 'http://owh.example' },
          { 'sec-fetch-site': 'same-origin', origin: 'https://owh.example' },
          { 'sec-fetch-site': 'none' },
        ]) {
          assert.equal((await aggregate(headers)).statusCode, 200, JSON.stringify(headers));
        }
      });

      test('reads are not affected (the browser may show a link from elsewhere)', async () => {
        const res = await t.app.inject({
          method: 'GET',
          url: '/admin/data',
          remoteAddress: '198.51.100.32',
          headers: { authorization: right, 'sec-fetch-site': 'cross-site' },
        });
        assert.equal(res.statusCode, 200);
      });
    });

    test('successful logins do not count against the limit', async () => {
      for (let i = 0; i < 15; i++) assert.equal((await get('/admin/logs', right, '203.0.113.9')).statusCode, 200);
    });
  });

  test('parseBasicAuth splits at the first colon, so passwords may contain colons', () => {
    assert.deepEqual(parseBasicAuth(basicAuth('admin', 'a:b:c')), { username: 'admin', password: 'a:b:c' });
    assert.deepEqual(parseBasicAuth(basicAuth('jürgen', 'pässwörd')), { username: 'jürgen', password: 'pässwörd' });
    assert.equal(parseBasicAuth(undefined), null);
    assert.equal(parseBasicAuth('Basic'), null);
  });
});
