import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { HOUR, MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

describe(`sign-in rate limits (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp();
  });
  after(async () => t.close());

  const requestCode = (email: string, remoteAddress = uniqueIp(), headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email }, remoteAddress, headers });
  const verify = (email: string, code: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/auth/verify', payload: { email, code }, remoteAddress, headers });

  const assertLimited = (res: Awaited<ReturnType<typeof requestCode>>, retryAfterSeconds: number, what: string) => {
    assert.equal(res.statusCode, 429, what);
    assert.equal(res.headers['retry-after'], String(retryAfterSeconds), `${what}: Retry-After`);
    assert.match(res.json().detail, /^Too many .* Please try again later\.$/);
  };

  test('per address: 3 code requests per 15 minutes from any client, and no daily cap a stranger could use up', async () => {
    const email = uniqueEmail('limited');
    for (let i = 0; i < 3; i++) assert.equal((await requestCode(email)).statusCode, 202);
    t.clock.advance(5 * MINUTE);
    assertLimited(await requestCode(email), 10 * 60, 'fourth request within 15 minutes');
    assert.equal(t.smtp.messagesTo(email).length, 3, 'a refused request sends nothing');

    // Every 15 minutes for six hours: 3 requests each time, 72 in all, none refused.
    for (let window = 0; window < 24; window++) {
      t.clock.advance(15 * MINUTE);
      for (let i = 0; i < 3; i++) assert.equal((await requestCode(email)).statusCode, 202, `window ${window}, request ${i + 1}`);
    }
    assert.equal(t.smtp.messagesTo(email).length, 3 + 72);
  });

  test('a stranger who requests codes and burns guesses all day locks the owner out only until 15 minutes after they stop', async () => {
    const email = uniqueEmail('victim');
    const owner = uniqueIp();
    // Through the day, from ever new addresses: every request the limit allows, each code burned at once.
    for (let window = 0; window < 40; window++) {
      for (let i = 0; i < 4; i++) await requestCode(email);
      for (let guess = 0; guess < 6; guess++) {
        const res = await verify(email, String(100000 + window * 10 + guess), uniqueIp());
        assert.equal(res.statusCode, 401);
      }
      t.clock.advance(5 * MINUTE);
    }
    const burned = t.smtp.lastCodeFor(email);
    assert.equal((await verify(email, burned, owner)).statusCode, 401, 'the last delivered code was burned by wrong guesses');

    // The stranger stops; 15 minutes after their last request the owner asks for a code and signs in.
    t.clock.advance(10 * MINUTE);
    assert.equal((await requestCode(email, owner)).statusCode, 202);
    const res = await verify(email, t.smtp.lastCodeFor(email), owner);
    assert.equal(res.statusCode, 200, res.body);
  });

  test('wrong guesses cost the owner only a new request: a new code has five guesses of its own', async () => {
    const email = uniqueEmail('burned');
    const owner = uniqueIp();
    assert.equal((await requestCode(email, owner)).statusCode, 202);
    const first = t.smtp.lastCodeFor(email);
    for (let guess = 0; guess < 5; guess++) await verify(email, first === '000000' ? '000001' : '000000', uniqueIp());
    assert.equal((await verify(email, first, owner)).statusCode, 401, 'five wrong guesses kill the code');
    assert.equal((await requestCode(email, owner)).statusCode, 202);
    for (let guess = 0; guess < 4; guess++) await verify(email, '999999' === t.smtp.lastCodeFor(email) ? '999998' : '999999', uniqueIp());
    assert.equal((await verify(email, t.smtp.lastCodeFor(email), owner)).statusCode, 200, 'the fifth guess may be the right one');
  });

  test('per client: 20 code requests per hour, whatever the addresses', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 20; i++) assert.equal((await requestCode(uniqueEmail(), ip)).statusCode, 202, `request ${i + 1}`);
    t.clock.advance(30 * MINUTE);
    const email = uniqueEmail('fresh');
    assertLimited(await requestCode(email, ip), 30 * 60, 'twenty-first request within an hour');
    assert.equal(t.smtp.messagesTo(email).length, 0);
    assert.equal((await requestCode(email, uniqueIp())).statusCode, 202, 'other clients are not affected');
    t.clock.advance(30 * MINUTE);
    assert.equal((await requestCode(uniqueEmail(), ip)).statusCode, 202, 'an hour later');
  });

  test('per client: 30 verify attempts per hour, then even the right code is refused', async () => {
    const ip = uniqueIp();
    const email = uniqueEmail('verify-limit');
    await requestCode(email, ip);
    const code = t.smtp.lastCodeFor(email);
    for (let i = 0; i < 30; i++) {
      assert.equal((await verify(uniqueEmail('guess'), '000000', ip)).statusCode, 401, `attempt ${i + 1}`);
    }
    assertLimited(await verify(email, code, ip), 60 * 60, 'thirty-first attempt');
    assert.equal((await verify(email, code, uniqueIp())).statusCode, 200, 'the code itself was not spent');
    t.clock.advance(HOUR);
    assert.equal((await verify(uniqueEmail(), '000000', ip)).statusCode, 401, 'an hour later');
  });

  test('X-Forwarded-For is ignored unless the request comes from a trusted proxy', async () => {
    const proxy = uniqueIp();
    for (let i = 0; i < 30; i++) {
      await verify(uniqueEmail(), '000000', proxy, { 'x-forwarded-for': `203.0.113.${i + 1}` });
    }
    const res = await verify(uniqueEmail(), '000000', proxy, { 'x-forwarded-for': '203.0.113.200' });
    assert.equal(res.statusCode, 429, 'a client cannot escape the limit by inventing X-Forwarded-For');
  });
});

describe(`sign-in rate limits behind a trusted proxy (${backend})`, () => {
  let t: TestApp;
  const PROXY = '10.1.2.3';
  before(async () => {
    t = await createTestApp({ env: { TRUSTED_PROXIES: PROXY } });
  });
  after(async () => t.close());

  test('clients behind the proxy are limited one by one', async () => {
    const verify = (client: string) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/verify',
        payload: { email: uniqueEmail(), code: '000000' },
        remoteAddress: PROXY,
        headers: { 'x-forwarded-for': client },
      });
    for (let i = 0; i < 30; i++) assert.equal((await verify('203.0.113.7')).statusCode, 401);
    assert.equal((await verify('203.0.113.7')).statusCode, 429);
    assert.equal((await verify('203.0.113.8')).statusCode, 401, 'another client behind the same proxy');
  });
});
