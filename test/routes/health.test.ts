import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { backend } from '../helpers/database.js';
import { createTestApp, testEnv, type TestApp } from '../helpers/app.js';

describe(`GET /healthz (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('answers 200 when the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('answers 503 quickly when PostgreSQL is unreachable', async () => {
    // Port 1 on loopback refuses connections: the state of a stopped database server.
    const config = loadConfig(testEnv('postgresql://postgres@127.0.0.1:1/owh'));
    const app = await buildApp({ config });
    try {
      const started = Date.now();
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'degraded', database: 'unreachable' });
      assert.ok(Date.now() - started < 5000);
    } finally {
      await app.close();
    }
  });
});
