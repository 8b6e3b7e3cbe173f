import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

const ADMIN = { authorization: `Basic ${Buffer.from('admin:overload-admin-password').toString('base64')}` };

/** A test-only route that stays in flight until the test lets it go: requests admitted and not yet answered. */
function holdingRoute(app: FastifyInstance) {
  const held: (() => void)[] = [];
  app.get('/test/hold', async () => {
    await new Promise<void>((resolve) => held.push(resolve));
    return { held: true };
  });
  return {
    waitUntilHeld: async (n: number) => {
      while (held.length < n) await new Promise((r) => setTimeout(r, 5));
    },
    release: () => held.splice(0).forEach((resolve) => resolve()),
  };
}

/** Listens on a free port: the gate sits in the HTTP server, so only requests over a socket pass it. */
async function listening(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
}

const postWorkEvent = (url: string, token: string, date: string) =>
  fetch(`${url}/work-events`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ date, planned_minutes: 480, actual_minutes: 540 }),
  });

async function workEventRows(t: TestApp): Promise<number> {
  const row = await t.database.db.selectFrom('work_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`overload shedding (${backend})`, () => {
  test('past SHED_MAX_IN_FLIGHT a new request gets 503 with detail and Retry-After and stores nothing; admitted ones finish; /healthz and /metrics are always served', async () => {
    let hold!: ReturnType<typeof holdingRoute>;
    const t = await createTestApp({
      env: {
        SHED_MAX_IN_FLIGHT: '2',
        SHED_RETRY_AFTER_SECONDS: '3',
        SHED_REFUSAL_DELAY_MS: '0',
        ADMIN_PASSWORD: 'overload-admin-password',
      },
      beforeReady: (app) => void (hold = holdingRoute(app)),
    });
    try {
      const url = await listening(t);
      const { token } = await createRegisteredUser(t);
      const admitted = [fetch(`${url}/test/hold`), fetch(`${url}/test/hold`)];
      await hold.waitUntilHeld(2);

      const started = performance.now();
      const refused = await postWorkEvent(url, token, '2026-01-05');
      assert.ok(performance.now() - started < 1000, 'refused at once');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '3');
      assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
      assert.match(String(refused.headers.get('content-type')), /^application\/json/);
      const detail = ((await refused.json()) as { detail: unknown }).detail;
      assert.equal(typeof detail, 'string');
      assert.match(detail as string, /overloaded/);
      assert.equal(await workEventRows(t), 0, 'a refused request stores nothing');
      // Refused before authentication: an invalid token is not even looked at.
      assert.equal((await fetch(`${url}/auth/me`, { headers: bearer('nonsense') })).status, 503);

      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200, '/healthz is never shed');
      assert.deepEqual(await health.json(), { status: 'ok' });
      const metrics = await fetch(`${url}/metrics`, { headers: ADMIN });
      assert.equal(metrics.status, 200, '/metrics is never shed');
      const text = await metrics.text();
      assert.match(text, /^http_requests_shed_total\{reason="in_flight"\} 2$/m);
      assert.match(text, /^http_requests_in_flight 2$/m);

      hold.release();
      for (const response of await Promise.all(admitted)) assert.equal(response.status, 200, 'admitted requests finish normally');

      const accepted = await postWorkEvent(url, token, '2026-01-05');
      assert.equal(accepted.status, 201, 'served again once the requests in flight are answered');
      assert.equal(await workEventRows(t), 1);
      assert.equal(t.app.overload.inFlight(), 0);
    } finally {
      await t.close();
    }
  });

  test('a refusal is sent SHED_REFUSAL_DELAY_MS after the request, holds no place in flight, and a client that leaves meanwhile costs nothing', async () => {
    let hold!: ReturnType<typeof holdingRoute>;
    const t = await createTestApp({
      env: { SHED_MAX_IN_FLIGHT: '1', SHED_REFUSAL_DELAY_MS: '400' },
      beforeReady: (app) => void (hold = holdingRoute(app)),
    });
    try {
      const url = await listening(t);
      const { token } = await createRegisteredUser(t);
      const admitted = fetch(`${url}/test/hold`);
      await hold.waitUntilHeld(1);

      const started = performance.now();
      const refusedPost = postWorkEvent(url, token, '2026-01-07');
      const refusedGet = fetch(`${url}/taxonomy`);
      while (t.app.overload.shed().in_flight < 2) await new Promise((r) => setTimeout(r, 5));
      assert.equal(t.app.overload.inFlight(), 1, 'a held refusal is not a request in flight');
      const [post, get] = await Promise.all([refusedPost, refusedGet]);
      // Timers never fire early; a millisecond of rounding aside.
      assert.ok(performance.now() - started >= 399, `refused after ${performance.now() - started} ms`);
      assert.deepEqual([post.status, get.status], [503, 503]);
      assert.match(((await post.json()) as { detail: string }).detail, /overloaded/);

      const abort = new AbortController();
      const gone = fetch(`${url}/taxonomy`, { signal: abort.signal }).catch(() => 'aborted');
      while (t.app.overload.shed().in_flight < 3) await new Promise((r) => setTimeout(r, 5));
      abort.abort();
      assert.equal(await gone, 'aborted');
      await new Promise((r) => setTimeout(r, 500));

      hold.release();
      assert.equal((await admitted).status, 200);
      assert.equal(await workEventRows(t), 0, 'the refused request stored nothing');
      assert.equal((await postWorkEvent(url, token, '2026-01-07')).status, 201, 'served once there is room');
    } finally {
      await t.close();
    }
  });

  test('a request whose client goes away leaves the count of requests in flight', async () => {
    let hold!: ReturnType<typeof holdingRoute>;
    const t = await createTestApp({ env: { SHED_MAX_IN_FLIGHT: '1' }, beforeReady: (app) => void (hold = holdingRoute(app)) });
    try {
      const url = await listening(t);
      const abort = new AbortController();
      const gone = fetch(`${url}/test/hold`, { signal: abort.signal }).catch(() => 'aborted');
      await hold.waitUntilHeld(1);
      assert.equal((await fetch(`${url}/taxonomy`)).status, 503);
      abort.abort();
      assert.equal(await gone, 'aborted');
      const deadline = Date.now() + 2000;
      while (t.app.overload.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await fetch(`${url}/taxonomy`)).status, 200);
      hold.release();
    } finally {
      await t.close();
    }
  });

  test('a slow event loop (SHED_MAX_EVENT_LOOP_DELAY_MS) sheds new requests until it is quick again', async () => {
    const t = await createTestApp({ env: { SHED_MAX_EVENT_LOOP_DELAY_MS: '20' } });
    try {
      const url = await listening(t);
      assert.equal((await fetch(`${url}/taxonomy`)).status, 200);
      // Every tick of the loop runs 60 ms late for a little over two sampling windows.
      const busy = setInterval(() => {
        const until = performance.now() + 60;
        while (performance.now() < until);
      }, 1);
      await new Promise((r) => setTimeout(r, 1200));
      const during = await fetch(`${url}/taxonomy`);
      const health = await fetch(`${url}/healthz`);
      clearInterval(busy);
      assert.equal(during.status, 503);
      assert.ok(Number(during.headers.get('retry-after')) > 0);
      assert.equal(health.status, 200, '/healthz is never shed');
      assert.ok(t.app.overload.shed().event_loop_delay >= 1);
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await fetch(`${url}/taxonomy`)).status, 200, 'admitted again once the loop is quick');
    } finally {
      await t.close();
    }
  });

  test(
    'queries waiting for a PostgreSQL connection past SHED_MAX_POOL_WAITING shed new requests',
    { skip: backend === 'sqlite' && 'SQLite has no connection pool' },
    async () => {
      const t = await createTestApp({ env: { DATABASE_POOL_MAX: '1', SHED_MAX_POOL_WAITING: '1' } });
      try {
        const url = await listening(t);
        const { token } = await createRegisteredUser(t);
        const pool = t.app.database.pool!;
        // Hold the only connection: the next query waits for it.
        const client = await pool.connect();
        const waiting = fetch(`${url}/auth/me`, { headers: bearer(token) });
        while (pool.waitingCount < 1) await new Promise((r) => setTimeout(r, 5));
        const refused = await postWorkEvent(url, token, '2026-01-06');
        assert.equal(refused.status, 503);
        assert.ok(Number(refused.headers.get('retry-after')) > 0);
        // The health check is admitted (it waits for the connection like any query) rather than refused.
        const health = fetch(`${url}/healthz`);
        await new Promise((r) => setTimeout(r, 50));
        client.release();
        assert.equal((await waiting).status, 200, 'the admitted request finishes');
        assert.equal((await health).status, 200, '/healthz is never shed');
        assert.equal(await workEventRows(t), 0);
        assert.equal(t.app.overload.shed().pool_waiting, 1);
      } finally {
        await t.close();
      }
    },
  );
});
