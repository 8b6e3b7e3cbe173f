import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, signInByEmail, uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

const SECOND = 1000;
const INVALID_CODE = { detail: 'Invalid or expired code' };

describe(`sign-in with e-mail codes (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp();
  });
  after(async () => t.close());

  /** Each test uses its own client address, so the per-IP limits of one test never affect another. */
  const client = () => {
    const remoteAddress = uniqueIp();
    return {
      requestCode: (email: string) =>
        t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email }, remoteAddress }),
      verify: (email: string, code: string) =>
        t.app.inject({ method: 'POST', url: '/auth/verify', payload: { email, code }, remoteAddress }),
    };
  };
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  test('the whole flow: code by e-mail in German and English, verify, token works', async () => {
    const c = client();
    const email = uniqueEmail();
    const requested = await c.requestCode(email);
    assert.equal(requested.statusCode, 202);
    assert.match(requested.json().message, /sign-in code has been sent/);

    const [message] = t.smtp.messagesTo(email);
    assert.ok(message, 'one e-mail was delivered');
    assert.match(message.subject, /Anmeldecode/);
    assert.match(message.subject, /sign-in code/);
    const code = t.smtp.lastCodeFor(email);
    assert.match(code, /^\d{6}$/);
    for (const part of [message.text, message.html]) {
      assert.ok(part.includes(code), 'text and HTML parts show the code');
      assert.match(part, /15 Minuten gültig/);
      assert.match(part, /valid for 15 minutes/);
    }

    const verified = await c.verify(email, code);
    assert.equal(verified.statusCode, 200);
    const body = verified.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_at', 'registration_complete', 'token_type', 'user_id']);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.registration_complete, false);
    assert.equal(body.expires_at, new Date(t.clock.now().getTime() + 30 * 24 * 60 * MINUTE).toISOString());

    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(body.access_token) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user_id, body.user_id);
    assert.equal(me.json().registration_complete, false);
    assert.doesNotMatch(me.body, /klinik\.example|email/i, 'the user object never shows the address or its hash');
  });

  test('the address is trimmed and lower-cased: one account however it is typed', async () => {
    const email = uniqueEmail('MiXeD');
    const first = await signInByEmail(t, `  ${email.toUpperCase()}  `);
    assert.equal(t.smtp.messagesTo(email.toLowerCase()).length, 1, 'the mail goes to the normalized address');
    const second = await signInByEmail(t, email.toLowerCase());
    assert.equal(second.userId, first.userId);
  });

  test('only a keyed hash of the address and of the code is stored', async () => {
    const c = client();
    const email = uniqueEmail('stored');
    await c.requestCode(email);
    const code = t.smtp.lastCodeFor(email);
    const [row] = await t.database.db.selectFrom('verification_codes').selectAll().where('email_hash', '=', t.app.services.auth.hashEmail(email)).execute();
    assert.ok(row, 'the code row is keyed by the e-mail hash');
    assert.match(row.email_hash, /^[0-9a-f]{64}$/);
    assert.match(row.code, /^[0-9a-f]{64}$/);
    assert.ok(!row.code.includes(code));
    await c.verify(email, code);
    const users = await t.database.db.selectFrom('users').selectAll().execute();
    assert.ok(users.every((u) => !JSON.stringify(u).includes('klinik.example')), 'no plain address in users');
  });

  test('malformed addresses and codes: 422 naming the field', async () => {
    const c = client();
    const bad = ['', '   ', 'plainaddress', 'a@b', 'a@@klinik.de', 'a b@klinik.de', '.a@klinik.de', 'a..b@klinik.de', 'a@-klinik.de', 'a@klinik.123', `${'x'.repeat(65)}@klinik.de`, `a@${'x'.repeat(250)}.de`];
    for (const email of bad) {
      const res = await c.requestCode(email);
      assert.equal(res.statusCode, 422, JSON.stringify(email));
      assert.deepEqual(res.json(), { detail: 'email: must be a valid e-mail address' });
    }
    assert.equal((await c.requestCode('dr.o\'neil+owh@müller-klinik.de')).statusCode, 202, 'international domains are fine');
    const missing = await t.app.inject({ method: 'POST', url: '/auth/request-code', payload: {}, remoteAddress: uniqueIp() });
    assert.deepEqual([missing.statusCode, missing.json().detail], [422, 'email: field required']);
    const extra = await t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email: uniqueEmail(), admin: true } });
    assert.deepEqual([extra.statusCode, extra.json().detail], [422, 'admin: unknown field']);
    for (const code of ['12345', '1234567', 'abcdef', '']) {
      const res = await c.verify(uniqueEmail(), code);
      assert.deepEqual([res.statusCode, res.json().detail], [422, 'code: must be the 6-digit code from the e-mail'], code);
    }
  });

  test('no enumeration: code requests answer alike for known and unknown addresses, failures are one 401', async () => {
    const known = uniqueEmail('known');
    await signInByEmail(t, known);
    const c = client();
    const forKnown = await c.requestCode(known);
    const forUnknown = await c.requestCode(uniqueEmail('unknown'));
    assert.equal(forKnown.statusCode, forUnknown.statusCode);
    assert.equal(forKnown.body, forUnknown.body);

    const neverRequested = await c.verify(uniqueEmail('never'), '123456');
    const wrong = await c.verify(known, wrongCode(t.smtp.lastCodeFor(known)));
    for (const res of [neverRequested, wrong]) {
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), INVALID_CODE);
    }
  });

  test('a code is single use', async () => {
    const c = client();
    const email = uniqueEmail();
    await c.requestCode(email);
    const code = t.smtp.lastCodeFor(email);
    assert.equal((await c.verify(email, code)).statusCode, 200);
    const again = await c.verify(email, code);
    assert.deepEqual([again.statusCode, again.json()], [401, INVALID_CODE]);
  });

  test('a code is valid for 15 minutes', async () => {
    const c = client();
    const early = uniqueEmail('early');
    const late = uniqueEmail('late');
    await c.requestCode(early);
    await c.requestCode(late);
    t.clock.advance(15 * MINUTE - SECOND);
    assert.equal((await c.verify(early, t.smtp.lastCodeFor(early))).statusCode, 200, 'one second before expiry');
    t.clock.advance(SECOND);
    const expired = await c.verify(late, t.smtp.lastCodeFor(late));
    assert.deepEqual([expired.statusCode, expired.json()], [401, INVALID_CODE], 'at 15 minutes');
  });

  test('a new request replaces the previous code', async () => {
    const c = client();
    const email = uniqueEmail();
    await c.requestCode(email);
    const first = t.smtp.lastCodeFor(email);
    await c.requestCode(email);
    const second = t.smtp.lastCodeFor(email);
    if (first !== second) {
      assert.deepEqual((await c.verify(email, first)).json(), INVALID_CODE, 'the replaced code is dead');
    }
    assert.equal((await c.verify(email, second)).statusCode, 200);
  });

  test('four wrong guesses leave the code usable; after the fifth it is dead, even for the right code', async () => {
    const c = client();
    const lucky = uniqueEmail('lucky');
    await c.requestCode(lucky);
    const luckyCode = t.smtp.lastCodeFor(lucky);
    for (let i = 0; i < 4; i++) assert.equal((await c.verify(lucky, wrongCode(luckyCode))).statusCode, 401);
    assert.equal((await c.verify(lucky, luckyCode)).statusCode, 200, 'right on the fifth attempt');

    const unlucky = uniqueEmail('unlucky');
    await c.requestCode(unlucky);
    const code = t.smtp.lastCodeFor(unlucky);
    for (let i = 1; i <= 5; i++) {
      const res = await c.verify(unlucky, wrongCode(code));
      assert.deepEqual([res.statusCode, res.json()], [401, INVALID_CODE], `wrong guess ${i}`);
    }
    const sixth = await c.verify(unlucky, code);
    assert.deepEqual([sixth.statusCode, sixth.json()], [401, INVALID_CODE], 'the right code as sixth attempt');
  });

  test('guesses sent at once are still bounded: twenty wrong ones exhaust the code', async () => {
    const c = client();
    const email = uniqueEmail('burst');
    await c.requestCode(email);
    const code = t.smtp.lastCodeFor(email);
    const guesses = await Promise.all(Array.from({ length: 20 }, () => c.verify(email, wrongCode(code))));
    assert.ok(guesses.every((r) => r.statusCode === 401));
    const { failed_attempts } = await t.database.db
      .selectFrom('verification_codes')
      .select('failed_attempts')
      .where('email_hash', '=', t.app.services.auth.hashEmail(email))
      .executeTakeFirstOrThrow();
    assert.equal(failed_attempts, 5, 'no more than five guesses were ever compared');
    assert.equal((await c.verify(email, code)).statusCode, 401);
  });

  test('the right code sent several times at once signs in exactly once', async () => {
    const c = client();
    const email = uniqueEmail('race');
    await c.requestCode(email);
    const code = t.smtp.lastCodeFor(email);
    const results = await Promise.all(Array.from({ length: 5 }, () => c.verify(email, code)));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401, 401, 401, 401]);
  });

  test('the code may be typed with spaces', async () => {
    const c = client();
    const email = uniqueEmail();
    await c.requestCode(email);
    const code = t.smtp.lastCodeFor(email);
    assert.equal((await c.verify(email, `${code.slice(0, 3)} ${code.slice(3)}`)).statusCode, 200);
  });
});
