/**
 * Fault: the mail server dies (or freezes) while the service runs. A sign-in code exists for a user only if
 * its e-mail was handed over: every failed hand-over answers 503 with a `detail` and leaves no usable code,
 * even one the dying server had already received; once the mail server is back, sign-in works again
 * without restarting the service.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';
import { codeIn, startSmtpServer, type DeliveredMessage, type TestSmtp } from '../helpers/smtp.js';
import { FaultyProxy } from './faulty-proxy.js';

const NOT_SENT = 'The sign-in code could not be sent. Please try again in a few minutes.';
const INVALID_CODE = { detail: 'Invalid or expired code' };

describe(`faults: SMTP server killed or frozen (${backend})`, { timeout: 120_000 }, () => {
  let smtp: TestSmtp;
  let proxy: FaultyProxy;
  let t: TestApp;

  before(async () => {
    smtp = await startSmtpServer();
    proxy = await FaultyProxy.start(smtp.port);
    t = await createTestApp({ env: { ...smtp.env, EMAIL__SMTP_PORT: String(proxy.port) } });
  });
  after(async () => {
    await t?.close();
    await proxy?.kill();
    await smtp?.close();
  });

  /** The mail server as it normally is: listening and answering. */
  const healthy = async () => {
    proxy.mode = 'forward';
    proxy.forwardLimit = null;
    if (!proxy.listening) await proxy.revive();
  };
  beforeEach(healthy);

  const requestCode = (email: string) =>
    t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email }, remoteAddress: uniqueIp() });
  const verify = (email: string, code: string) =>
    t.app.inject({ method: 'POST', url: '/auth/verify', payload: { email, code }, remoteAddress: uniqueIp() });
  const storedCodes = (email: string) =>
    t.database.db.selectFrom('verification_codes').selectAll().where('email_hash', '=', t.app.services.auth.hashEmail(email)).execute();
  /** The message the mail server received for `email`, waiting briefly for it to finish parsing. */
  const received = async (email: string): Promise<DeliveredMessage | undefined> => {
    for (let i = 0; i < 100 && smtp.messagesTo(email).length === 0; i++) await sleep(20);
    return smtp.messagesTo(email).at(-1);
  };

  test('killed: request-code answers 503 at once and stores no code; after the restart sign-in works', async () => {
    await proxy.kill();
    const email = uniqueEmail('killed');
    const started = Date.now();
    const res = await requestCode(email);
    assert.deepEqual([res.statusCode, res.json()], [503, { detail: NOT_SENT }]);
    assert.ok(Date.now() - started < 5000, 'a refused connection is not waited on');
    assert.deepEqual(await storedCodes(email), []);

    await healthy();
    assert.equal((await requestCode(email)).statusCode, 202);
    assert.equal((await verify(email, smtp.lastCodeFor(email))).statusCode, 200);
  });

  test('killed after receiving the message but before answering: 503, and that code never verifies', async () => {
    proxy.mode = 'die-after-message';
    const email = uniqueEmail('half');
    const res = await requestCode(email);
    assert.deepEqual([res.statusCode, res.json()], [503, { detail: NOT_SENT }]);
    assert.equal(proxy.listening, false, 'the mail server died');
    const message = await received(email);
    assert.ok(message, 'the dying server had received the message, code included');
    const code = codeIn(message);
    assert.deepEqual(await storedCodes(email), []);
    const before = await verify(email, code);
    assert.deepEqual([before.statusCode, before.json()], [401, INVALID_CODE]);

    await healthy();
    const afterRestart = await verify(email, code);
    assert.deepEqual([afterRestart.statusCode, afterRestart.json()], [401, INVALID_CODE], 'not even after the mail server is back');
  });

  test('killed with many requests in flight: every 202 has a delivered code that works, every 503 none', async () => {
    const emails = Array.from({ length: 20 }, () => uniqueEmail('burst'));
    // The first five get through; the others connect and wait for a greeting that never comes, until the
    // server is killed under them once the five are answered.
    proxy.forwardLimit = 5;
    let delivered = 0;
    const answers = Promise.all(
      emails.map((email) =>
        requestCode(email).then((res) => {
          if (res.statusCode === 202) delivered++;
          return res;
        }),
      ),
    );
    while (delivered < 5) await sleep(5);
    await proxy.kill();
    const statuses = (await answers).map((res) => {
      if (res.statusCode !== 202) assert.deepEqual([res.statusCode, res.json()], [503, { detail: NOT_SENT }]);
      return res.statusCode;
    });
    assert.equal(statuses.filter((s) => s === 503).length, 15, statuses.join(' '));

    await healthy();
    for (const [i, email] of emails.entries()) {
      const message = smtp.messagesTo(email).at(-1);
      if (statuses[i] === 202) {
        assert.ok(message, `202 without a delivered message for request ${i}`);
        assert.equal((await verify(email, codeIn(message)).then((r) => r.statusCode)), 200, `request ${i}: the delivered code works`);
      } else {
        assert.deepEqual(await storedCodes(email), [], `request ${i}: 503 left a code behind`);
        if (message) assert.equal((await verify(email, codeIn(message))).statusCode, 401, `request ${i}: a received code works`);
      }
    }
  });

  test('frozen (accepts connections, never answers): 503 within the mailer timeouts, no code stored', async () => {
    proxy.mode = 'freeze';
    const email = uniqueEmail('frozen');
    const started = Date.now();
    const res = await requestCode(email);
    const ms = Date.now() - started;
    assert.deepEqual([res.statusCode, res.json()], [503, { detail: NOT_SENT }]);
    // The mailer gives a silent server 10 s to greet; the answer must come then, not hang.
    assert.ok(ms >= 9000 && ms < 15_000, `answered after ${ms} ms`);
    assert.deepEqual(await storedCodes(email), []);
    await proxy.kill();
    await healthy();
    assert.equal((await requestCode(email)).statusCode, 202, 'works again once the server answers');
  });
});
