import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe(`GET /metrics (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: 'metrics-admin-password' } });
  });
  after(async () => t.close());

  test('requires the admin credentials', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic /);
    const wrong = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic('admin', 'nope') } });
    assert.equal(wrong.statusCode, 401);
  });

  test('counts requests by route pattern and status, in Prometheus text format', async () => {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    await t.app.inject({ method: 'GET', url: '/healthz' });
    await t.app.inject({ method: 'GET', url: '/no/such/route' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic('admin', 'metrics-admin-password') } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.body;
    assert.match(body, /^http_requests_total\{method="GET",route="\/healthz",status="200"\} 2$/m);
    assert.match(body, /^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.match(body, /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/healthz",status="200"\} \d+$/m);
    assert.match(body, /^nodejs_eventloop_lag_seconds \d/m);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    if (backend === 'postgres') assert.match(body, /^db_pool_connections \d+$/m);
    assert.doesNotMatch(body, /^aggregation_runs\{/m, 'no runs yet');
  });

  test('reports aggregation runs by outcome and when the last one finished', async () => {
    await t.app.services.aggregation.run({ trigger: 'admin' });
    await t.app.services.aggregation.run({ trigger: 'admin' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic('admin', 'metrics-admin-password') } });
    assert.match(res.body, /^aggregation_runs\{status="success"\} 2$/m);
    const finished = Number(/^aggregation_last_finished_timestamp_seconds\{status="success"\} (\S+)$/m.exec(res.body)?.[1]);
    assert.ok(Math.abs(finished - t.clock.now().getTime() / 1000) < 1, String(finished));
  });
});

describe('METRICS_ENABLED=false', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: 'metrics-admin-password', METRICS_ENABLED: 'false' } });
  });
  after(async () => t.close());

  test('turns the endpoint off', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic('admin', 'metrics-admin-password') } });
    assert.equal(res.statusCode, 404);
  });
});
