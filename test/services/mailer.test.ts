import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestApp, testEnv, type TestApp } from '../helpers/app.js';
import { uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { backend, createTestDatabase } from '../helpers/database.js';
import { ROOT, startServer } from '../helpers/process.js';
import { codeIn, startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const NOT_SENT = { detail: 'The sign-in code could not be sent. Please try again in a few minutes.' };

/** A port on which nothing listens: the state of a mail server that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const requestCode = (t: TestApp, email: string) =>
  t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email }, remoteAddress: uniqueIp() });
const verify = (t: TestApp, email: string, code: string) =>
  t.app.inject({ method: 'POST', url: '/auth/verify', payload: { email, code }, remoteAddress: uniqueIp() });
const storedCodes = (t: TestApp, email: string) =>
  t.database.db.selectFrom('verification_codes').selectAll().where('email_hash', '=', t.app.services.auth.hashEmail(email)).execute();

describe(`sign-in e-mail delivery failures (${backend})`, () => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(async () => smtp.close());

  test('mail server down: 503 and no usable code is left behind', async () => {
    const t = await createTestApp({ env: { ...smtp.env, EMAIL__SMTP_PORT: String(await closedPort()) } });
    try {
      const email = uniqueEmail('down');
      const res = await requestCode(t, email);
      assert.deepEqual([res.statusCode, res.json()], [503, NOT_SENT]);
      assert.deepEqual(await storedCodes(t, email), []);
    } finally {
      await t.close();
    }
  });

  test('mail server refusing the message: 503, and the code it saw does not work', async () => {
    const t = await createTestApp({ env: smtp.env });
    try {
      const email = uniqueEmail('refused');
      smtp.refuseData = true;
      const res = await requestCode(t, email);
      smtp.refuseData = false;
      assert.deepEqual([res.statusCode, res.json()], [503, NOT_SENT]);
      const [refused] = smtp.messagesTo(email);
      assert.equal(refused?.accepted, false);
      const leaked = await verify(t, email, codeIn(refused!));
      assert.deepEqual([leaked.statusCode, leaked.json()], [401, { detail: 'Invalid or expired code' }]);
      assert.equal((await requestCode(t, email)).statusCode, 202, 'a later request works normally');
      assert.equal((await verify(t, email, smtp.lastCodeFor(email))).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('EMAIL__USE_TLS=true never falls back to plain text when the server offers no STARTTLS', async () => {
    const t = await createTestApp({ env: { ...smtp.env, EMAIL__USE_TLS: 'true' } });
    try {
      const email = uniqueEmail('plain');
      const res = await requestCode(t, email);
      assert.deepEqual([res.statusCode, res.json()], [503, NOT_SENT]);
      assert.equal(smtp.messagesTo(email).length, 0, 'nothing was sent in clear text');
      assert.deepEqual(await storedCodes(t, email), []);
    } finally {
      await t.close();
    }
  });

  for (const nodeEnv of ['production', 'test']) {
    test(`without EMAIL__SMTP_HOST, ${nodeEnv} answers 503 instead of pretending to send`, async () => {
      // Production starts without SMTP only when told that this instance sends no e-mail.
      const t = await createTestApp({ env: { NODE_ENV: nodeEnv, ...(nodeEnv === 'production' ? { EMAIL__DISABLED: 'true' } : {}) } });
      try {
        const email = uniqueEmail();
        const res = await requestCode(t, email);
        assert.equal(res.statusCode, 503);
        assert.deepEqual(res.json(), { detail: 'E-mail delivery is not configured on this server. Please try again later.' });
        assert.deepEqual(await storedCodes(t, email), []);
      } finally {
        await t.close();
      }
    });
  }

  test('without EMAIL__SMTP_HOST, development logs the code (and not the address)', async () => {
    const testDb = await createTestDatabase();
    const config = loadConfig(testEnv(testDb.url, { NODE_ENV: 'development' }));
    const database = openDatabase(config.database);
    await migrateToLatest(database.db);
    const lines: string[] = [];
    const app = await buildApp({ config, database, logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } });
    try {
      const email = uniqueEmail('dev');
      const requested = await app.inject({ method: 'POST', url: '/auth/request-code', payload: { email } });
      assert.equal(requested.statusCode, 202);
      const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.code);
      assert.ok(logged, 'the code is in the log');
      assert.match(logged.msg, /development/);
      // Easy to spot among the request lines: the message starts with the words the start-up summary names.
      assert.ok(logged.msg.startsWith(`SIGN-IN CODE ${logged.code} for d***@klinik.example`), logged.msg);
      assert.ok(!lines.join('').includes(email), 'the address itself is not logged');
      const verified = await app.inject({ method: 'POST', url: '/auth/verify', payload: { email, code: logged.code } });
      assert.equal(verified.statusCode, 200);
    } finally {
      await app.close();
      await database.destroy();
      await testDb.drop();
    }
  });
});

describe(`sign-in e-mail over STARTTLS (${backend})`, () => {
  test('with EMAIL__USE_TLS=true the code travels encrypted', async () => {
    // A self-signed certificate for 127.0.0.1 (test/fixtures), trusted by the server process through
    // NODE_EXTRA_CA_CERTS: the real TLS handshake with real certificate checks, no test-only switch.
    const fixtures = path.join(ROOT, 'test/fixtures');
    const smtp = await startSmtpServer({
      disabledCommands: ['AUTH'],
      key: readFileSync(path.join(fixtures, 'smtp-tls.key')),
      cert: readFileSync(path.join(fixtures, 'smtp-tls.crt')),
    });
    const testDb = await createTestDatabase();
    const server = await startServer({
      ...testEnv(testDb.url, { ...smtp.env, EMAIL__USE_TLS: 'true', LOG_LEVEL: 'info' }),
      NODE_EXTRA_CA_CERTS: path.join(fixtures, 'smtp-tls.crt'),
    });
    try {
      const email = uniqueEmail('tls');
      const res = await fetch(`${server.url}/auth/request-code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      assert.equal(res.status, 202, await res.text());
      const [message] = smtp.messagesTo(email);
      assert.equal(message?.secure, true, 'delivered after STARTTLS');
      assert.match(codeIn(message!), /^\d{6}$/);
      assert.ok(!server.output().includes(email), 'the address is not in the server log');
    } finally {
      await server.stop();
      await smtp.close();
      await testDb.drop();
    }
  });
});
