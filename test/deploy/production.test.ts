/**
 * The production start path: compiled JavaScript, NODE_ENV=production, only the documented variables.
 * In CI this runs against the real PostgreSQL (TEST_DATABASE_URL) as well as SQLite.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { TEST_SECRETS } from '../helpers/app.js';
import { backend, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ROOT, startServer, type RunningServer } from '../helpers/process.js';

const run = promisify(execFile);

describe(`production start: npm run build, NODE_ENV=production node dist/server.js (${backend})`, () => {
  let testDb: TestDatabase;
  let server: RunningServer;
  before(async () => {
    testDb = await createTestDatabase();
    await run('npm', ['run', 'build'], { cwd: ROOT });
    assert.ok(existsSync(path.join(ROOT, 'dist/server.js')));
    server = await startServer(
      // An SMTP host is required in production; nothing here sends mail, so a closed local port will do.
      { NODE_ENV: 'production', HOST: '127.0.0.1', DATABASE_URL: testDb.url, ...TEST_SECRETS, EMAIL__SMTP_HOST: '127.0.0.1', EMAIL__SMTP_PORT: '9' },
      { entry: path.join(ROOT, 'dist/server.js') },
    );
  });
  after(async () => {
    const exit = await server?.stop();
    await testDb?.drop();
    assert.equal(exit?.code, 0, 'clean exit on SIGTERM');
  });

  test('migrates at start and serves /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('production hardening: HSTS, no Swagger UI, no stack traces', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.match(health.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    assert.equal((await fetch(`${server.url}/docs`)).status, 404);
    assert.equal((await fetch(`${server.url}/openapi.json`)).status, 404, 'the OpenAPI document follows DOCS_ENABLED');
    const bad = await fetch(`${server.url}/nowhere`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((await bad.json()) as object), ["detail"]);
  });

  test('logs are JSON lines without secrets', async () => {
    await fetch(`${server.url}/nowhere`, { headers: { authorization: 'Bearer not-a-real-token' } });
    const lines = server.output().trim().split('\n').filter(Boolean);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.doesNotMatch(server.output(), /not-a-real-token/);
    assert.doesNotMatch(server.output(), new RegExp(TEST_SECRETS.SECRET_KEY));
  });
});
