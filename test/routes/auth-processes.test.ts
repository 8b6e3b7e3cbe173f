import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../../src/db/index.js';
import { testEnv } from '../helpers/app.js';
import { uniqueEmail } from '../helpers/auth.js';
import { backend, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startServer, type RunningServer } from '../helpers/process.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

describe(`two server processes on one database (${backend})`, () => {
  let testDb: TestDatabase;
  let smtp: TestSmtp;
  let servers: RunningServer[] = [];
  before(async () => {
    testDb = await createTestDatabase();
    smtp = await startSmtpServer();
    const env = testEnv(testDb.url, { ...smtp.env, LOG_LEVEL: 'info', DEMO__EMAIL: 'review@example.com', DEMO__CODE: '424242' });
    // Started together: both migrate and create the demo account at the same moment.
    servers = await Promise.all([startServer(env), startServer(env)]);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await smtp.close();
    await testDb.drop();
  });

  test('enforce one code-request limit together', async () => {
    const email = uniqueEmail('shared');
    const requestCode = (server: RunningServer) =>
      fetch(`${server.url}/auth/request-code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
    const [a, b] = servers as [RunningServer, RunningServer];
    for (const server of [a, b, a]) assert.equal((await requestCode(server)).status, 202);
    for (const server of [b, a]) {
      const refused = await requestCode(server);
      assert.equal(refused.status, 429, 'the fourth request within 15 minutes, whichever process gets it');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
    }
    assert.equal(smtp.messagesTo(email).length, 3);
  });

  test('created exactly one demo account while starting together', async () => {
    const database = openDatabase(testDb.config);
    try {
      const users = await database.db.selectFrom('users').select('is_demo').execute();
      assert.deepEqual(users.map((u) => Boolean(u.is_demo)), [true]);
    } finally {
      await database.destroy();
    }
  });
});
