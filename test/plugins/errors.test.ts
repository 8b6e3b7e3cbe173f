import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from 'typebox';
import { AppError } from '../../src/errors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

describe('error format', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({
      beforeReady(app) {
        // Test-only routes that exercise the shared validation and error handling.
        app.post(
          '/test/echo',
          {
            schema: {
              body: Type.Object(
                {
                  minutes: Type.Integer({ minimum: 0, maximum: 1440 }),
                  note: Type.Optional(Type.String({ maxLength: 5 })),
                  // Free-form, like a feedback's app_state: the schema does not look inside.
                  data: Type.Optional(Type.Unknown()),
                },
                { additionalProperties: false },
              ),
              querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) }),
            },
          },
          async (request) => ({ body: request.body, query: request.query }),
        );
        app.get('/test/boom', async () => {
          throw new Error('secret internals: password=hunter2');
        });
        app.get('/test/app-error', async () => {
          throw new AppError(409, 'Already exists', { 'x-extra': 'yes' });
        });
      },
    });
  });
  after(async () => t.close());

  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }, url = '/test/echo') =>
    t.app.inject({ method: 'POST', url, payload, headers });

  test('unknown route: 404 with detail', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(res.statusCode, 404);
    assert.equal(typeof res.json().detail, 'string');
  });

  test('a known path with a method it does not have: 405 with Allow and detail', async () => {
    for (const [method, url, allow] of [
      ['GET', '/auth/verify', 'POST'],
      ['PUT', '/auth/me', 'DELETE, GET, HEAD, PATCH'],
      ['POST', '/work-events/0b6a3a53-3d0c-4f5e-9a43-0d8a4c8f2f11', 'DELETE, PATCH'],
      ['DELETE', '/stats/by-state-specialty?limit=1', 'GET, HEAD'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      assert.equal(res.statusCode, 405, `${method} ${url}`);
      assert.equal(res.headers.allow, allow, `${method} ${url}`);
      assert.match(res.json().detail, new RegExp(`^Method ${method} is not allowed on /`));
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/work-events/a/b' })).statusCode, 404, 'one segment per parameter');
  });

  test('malformed URL (bad percent-encoding) and overlong path segment: 400/414 with detail', async () => {
    for (const url of ['/%zz', '/work-events/%', '/admin/feedback/%E0%A4%A']) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.deepEqual([res.statusCode, res.json()], [400, { detail: 'Malformed URL' }], url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', 'security headers as on every response');
    }
    const long = await t.app.inject({ method: 'DELETE', url: `/work-events/${'x'.repeat(2000)}` });
    assert.deepEqual([long.statusCode, long.json()], [414, { detail: 'A path segment of the URL is too long' }]);
  });

  test('malformed JSON: 400', async () => {
    const res = await post('{"minutes": ');
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { detail: 'Malformed JSON in request body' });
  });

  test('an empty body sent as JSON is no body: 422 where one is required', async () => {
    const res = await post('');
    assert.deepEqual([res.statusCode, res.json()], [422, { detail: 'body: must be of type object' }]);
    const proto = await post('{"minutes": 1, "__proto__": {"admin": true}}');
    assert.equal(proto.statusCode, 400, "Fastify's prototype-poisoning protection still applies");
  });

  test('body over 1 MB: 413', async () => {
    const res = await post(JSON.stringify({ minutes: 1, note: 'x'.repeat(1024 * 1024) }));
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().detail, 'Request body is too large (the limit here is 1 MB)');
  });

  test('validation errors: 422 naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['{}', /^minutes: field required$/],
      ['{"minutes": "60"}', /^minutes: must be an integer$/],
      ['{"minutes": 1.5}', /^minutes: must be an integer$/],
      ['{"minutes": -1}', /^minutes: must be >= 0$/],
      ['{"minutes": null}', /^minutes: must be an integer$/],
      ['{"minutes": 1, "extra": true}', /^extra: unknown field$/],
      ['{"minutes": 1, "note": "too long"}', /^note: /],
      ['[1]', /^body: must be of type object$/],
    ];
    for (const [payload, detail] of cases) {
      const res = await post(payload);
      assert.equal(res.statusCode, 422, payload);
      assert.match(res.json().detail, detail, payload);
    }
    const query = await t.app.inject({ method: 'POST', url: '/test/echo?limit=zero', payload: { minutes: 1 } });
    assert.equal(query.statusCode, 422);
    assert.match(query.json().detail, /^limit: /);
  });

  test('a NUL character anywhere in a body the schema accepts is 422 naming the field', async () => {
    for (const [payload, detail] of [
      ['{"minutes": 1, "note": "a\\u0000"}', 'note: must not contain NUL characters'],
      ['{"minutes": 1, "data": {"list": ["ok", "\\u0000"]}}', 'data.list.1: must not contain NUL characters'],
      // The schema comes first: a body it refuses is never walked.
      ['"\\u0000"', 'body: must be of type object'],
      ['{"minutes": 1, "deep": ["\\u0000"]}', 'deep: unknown field'],
      // Nested far deeper than a recursive search could go (that was a 500: stack overflow).
      [`{"minutes": 1, "data": ${'['.repeat(20_000)}"\\u0000"${']'.repeat(20_000)}}`, `data${'.0'.repeat(20_000)}: must not contain NUL characters`],
    ]) {
      const res = await post(payload!);
      assert.deepEqual([res.statusCode, res.json()], [422, { detail }], payload!.slice(0, 80));
    }
    const deep = await post(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    assert.deepEqual([deep.statusCode, deep.json()], [422, { detail: 'body: must be of type object' }]);
    // The six characters \u0000 (an escaped backslash) are no NUL: they pass on to the schema (too long).
    const text = await post('{"minutes": 1, "note": "\\\\u0000"}');
    assert.match(text.json().detail, /^note: must NOT have more than 5 characters$/);
  });

  test('an unpaired surrogate (no Unicode character, unstorable in PostgreSQL) is 422 naming the field; a real emoji passes', async () => {
    for (const [payload, detail] of [
      ['{"minutes": 1, "data": {"area": "\\ud800 \\udc00"}}', 'data.area: must be valid Unicode text (it contains an unpaired surrogate)'],
      ['{"minutes": 1, "note": "a\\udc00"}', 'note: must be valid Unicode text (it contains an unpaired surrogate)'],
      ['{"minutes": 1, "data": {"\\ud83d": 1}}', 'data: must be valid Unicode text (it contains an unpaired surrogate)'],
    ]) {
      const res = await post(payload!);
      assert.deepEqual([res.statusCode, res.json()], [422, { detail }], payload);
    }
    const emoji = await post('{"minutes": 1, "note": "\\ud83d\\ude00", "data": {"mood": "\\ud83d\\ude00"}}');
    assert.equal(emoji.statusCode, 200, emoji.body);
  });

  test('a NUL character in a query string is 422 naming the parameter', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/stats/by-state-specialty?specialty=card%00iology' });
    assert.deepEqual([res.statusCode, res.json()], [422, { detail: 'specialty: must not contain NUL characters' }]);
  });

  test('query strings are coerced, bodies are not', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo?limit=5', payload: { minutes: 60 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { body: { minutes: 60 }, query: { limit: 5 } });
  });

  test('unsupported content type: 415', async () => {
    const res = await post('minutes=1', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual([res.statusCode, res.json()], [
      415,
      { detail: 'Unsupported Content-Type application/x-www-form-urlencoded: send the body as JSON with Content-Type: application/json' },
    ]);
  });

  test('a form-encoded body sent as JSON: 415 saying so, not "Malformed JSON"', async () => {
    for (const payload of ['minutes=1', 'minutes=1&note=a%20b', 'email=a%40b.de&code=123456']) {
      const res = await post(payload);
      assert.deepEqual(
        [res.statusCode, res.json()],
        [415, { detail: 'The body is form-encoded (name=value&...); send it as JSON, e.g. {"name": "value"}, with Content-Type: application/json' }],
        payload,
      );
    }
    assert.deepEqual((await post('{"minutes": 1')).json(), { detail: 'Malformed JSON in request body' }, 'broken JSON is still called that');
  });

  test('unexpected errors: 500 without internals', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/boom' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { detail: 'Internal server error' });
  });

  test('service errors keep their status, detail and headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/app-error' });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { detail: 'Already exists' });
    assert.equal(res.headers['x-extra'], 'yes');
  });

  test('security headers on every response; no CORS by default', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['strict-transport-security'], undefined, 'HSTS only in production');
  });

  test('OpenAPI document and Swagger UI', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(doc.statusCode, 200);
    assert.equal(doc.json().openapi, '3.0.3');
    assert.ok(doc.json().paths['/healthz']);
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.ok([200, 302].includes(ui.statusCode));
  });

  test('the docs tell clients who counts in the statistics where they record time and where they read figures', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { description?: string }>> };
    for (const [path, method] of [['/work-events', 'post'], ['/finalized-weeks', 'post'], ['/stats/by-state-specialty', 'get']] as const) {
      const description = doc.paths[path]![method]!.description ?? '';
      assert.match(description, /Days off must be confirmed with 0 minutes/, `${method.toUpperCase()} ${path}`);
      assert.match(description, /A week belongs to the month of its Thursday/, `${method.toUpperCase()} ${path}`);
    }
  });

  test('each operation appears once in the docs: one tag, besides "app" for the paths the app calls', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const twice = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => (operation.tags ?? []).filter((tag) => tag !== 'app').length > 1)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(twice, []);
  });
});

describe('CORS and production headers', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: 'https://app.example', DOCS_ENABLED: 'false' } });
  });
  after(async () => t.close());

  test('only listed origins get CORS headers', async () => {
    const allowed = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://app.example' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    const other = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('Swagger UI can be disabled, and the OpenAPI document with it', async () => {
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(ui.statusCode, 404);
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(doc.statusCode, 404);
  });
});
