import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_STATE_MAX_DEPTH } from '../../src/services/feedback.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

/** An object nested `depth` levels deep: {"a":{"a":...{}}} (depth 1 is `{}`). */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

describe(`expensive bodies (${backend})`, () => {
  let t: TestApp;
  let nextIp = 1;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const post = (url: string, payload: string) =>
    t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' }, remoteAddress: `198.51.100.${nextIp++}` });

  test('sign-in paths take a few KB: a larger body is 413 naming the limit, refused before it is parsed', async () => {
    const deep = JSON.stringify({ email: 'a@b.de', x: JSON.parse('[' + '[1],'.repeat(100_000) + '1]') });
    const megabyteDeep = `{"email":"a@b.de","x":${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
    for (const url of ['/auth/request-code', '/auth/verify', '/auth/apple', '/verification/request', '/verification/confirm']) {
      for (const payload of [JSON.stringify({ email: `${'a'.repeat(9000)}@b.de` }), deep, megabyteDeep]) {
        const started = process.hrtime.bigint();
        const res = await post(url, payload);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        assert.deepEqual([res.statusCode, res.json()], [413, { detail: 'Request body is too large (the limit here is 8 KB)' }], url);
        assert.ok(ms < 250, `${url} took ${ms} ms to refuse ${payload.length} bytes`);
      }
    }
    // A body within the limit is read and checked as before.
    const small = await post('/auth/request-code', JSON.stringify({ email: 'not-an-address' }));
    assert.equal(small.statusCode, 422);
  });

  test('feedback takes 64 KB', async () => {
    const big = await post('/feedback', JSON.stringify({ description: 'ok', app_state: { blob: 'x'.repeat(70 * 1024) } }));
    assert.deepEqual([big.statusCode, big.json()], [413, { detail: 'Request body is too large (the limit here is 64 KB)' }]);
    const fits = await post('/feedback', JSON.stringify({ description: 'd'.repeat(5000), app_state: { blob: 'x'.repeat(30 * 1024) } }));
    assert.equal(fits.statusCode, 201);
  });

  test('other routes keep the 1 MB limit', async () => {
    const { token } = await createRegisteredUser(t);
    const body = (bytes: number) => JSON.stringify({ date: '2026-03-01', note: 'x'.repeat(bytes) });
    const send = (payload: string) =>
      t.app.inject({ method: 'POST', url: '/work-events', payload, headers: { 'content-type': 'application/json', ...bearer(token) } });
    assert.equal((await send(body(100 * 1024))).statusCode, 422, '100 KB is read (and refused by the schema)');
    const res = await send(body(1024 * 1024));
    assert.deepEqual([res.statusCode, res.json()], [413, { detail: 'Request body is too large (the limit here is 1 MB)' }]);
  });

  test('an app_state nested deeper than the cap is 422 naming it, never a 500', async () => {
    for (const depth of [APP_STATE_MAX_DEPTH + 1, 4000]) {
      const payload = `{"description":"ok","app_state":${nested(depth)}}`;
      assert.ok(payload.length < 32 * 1024);
      const res = await post('/feedback', payload);
      assert.deepEqual(
        [res.statusCode, res.json()],
        [422, { detail: `app_state: must not be nested more than ${APP_STATE_MAX_DEPTH} levels deep` }],
        `depth ${depth}`,
      );
    }
    const deepest = await post('/feedback', `{"description":"ok","app_state":${nested(APP_STATE_MAX_DEPTH)}}`);
    assert.equal(deepest.statusCode, 201);
  });

  test('the schema is checked before the NUL scan: an unknown field is named, however deep the NUL hides', async () => {
    const res = await post('/auth/request-code', `{"email":"a@b.de","x":${'['.repeat(1000)}"\\u0000"${']'.repeat(1000)}}`);
    assert.deepEqual([res.statusCode, res.json()], [422, { detail: 'x: unknown field' }]);
  });
});
