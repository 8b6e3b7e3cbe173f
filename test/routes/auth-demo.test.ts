import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { loadConfig } from '../../src/config.js';
import { createTestApp, testEnv } from '../helpers/app.js';
import { bearer, uniqueIp } from '../helpers/auth.js';
import { MINUTE } from '../helpers/clock.js';
import { backend, createTestDatabase } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

const DEMO = { DEMO__EMAIL: 'Review@Example.com', DEMO__CODE: '424242' };

describe(`demo account for app-store review (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp({ env: DEMO });
  });
  after(async () => t.close());

  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload, remoteAddress: uniqueIp() });
  const demoUsers = () => t.database.db.selectFrom('users').selectAll().where('is_demo', '=', true).execute();

  test('exists from startup, fully registered and flagged', async () => {
    const [demo, ...more] = await demoUsers();
    assert.ok(demo);
    assert.equal(more.length, 0);
    assert.equal(Boolean(demo.is_demo), true);
    assert.equal(demo.email_hash, t.app.services.auth.hashEmail('review@example.com'));
    for (const field of ['hospital_id', 'specialty', 'role_level', 'state_code', 'profession', 'seniority', 'department_group', 'consent_accepted_at'] as const) {
      assert.ok(demo[field], `${field} is set`);
    }
  });

  test('request-code sends nothing and answers like any other address', async () => {
    const demo = await post('/auth/request-code', { email: ' review@EXAMPLE.com' });
    const normal = await post('/auth/request-code', { email: 'someone@example.com' });
    assert.equal(demo.statusCode, 202);
    assert.equal(demo.body, normal.body);
    assert.equal(t.smtp.messagesTo('review@example.com').length, 0, 'no e-mail to the demo address');
  });

  test('the fixed code signs in as the demo user; any other code is the usual 401', async () => {
    const wrong = await post('/auth/verify', { email: 'review@example.com', code: '424243' });
    assert.deepEqual([wrong.statusCode, wrong.json()], [401, { detail: 'Invalid or expired code' }]);
    const res = await post('/auth/verify', { email: 'REVIEW@example.com', code: '424242' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().registration_complete, true);
    const [demo] = await demoUsers();
    assert.equal(res.json().user_id, demo!.id);
    const again = await post('/auth/verify', { email: 'review@example.com', code: '424242' });
    assert.equal(again.statusCode, 200, 'the demo code is not single use');
  });

  test('can never be deleted through the API', async () => {
    const { access_token } = (await post('/auth/verify', { email: 'review@example.com', code: '424242' })).json();
    const res = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(access_token) });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { detail: 'The demo account cannot be deleted' });
    assert.equal((await demoUsers()).length, 1);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(access_token) })).statusCode, 200);
  });
});

describe(`demo account creation by several processes at once (${backend})`, () => {
  test('four apps starting together on one database create exactly one demo user', async () => {
    const testDb = await createTestDatabase();
    const config = loadConfig(testEnv(testDb.url, DEMO));
    const setup = openDatabase(config.database);
    await migrateToLatest(setup.db);
    // Each app has its own connection pool, as separate processes would.
    const databases = Array.from({ length: 4 }, () => openDatabase(config.database));
    try {
      const apps = await Promise.all(databases.map((database) => buildApp({ config, database, logger: false })));
      await Promise.all(apps.map((app) => app.ready()));
      const rows = await setup.db.selectFrom('users').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(Boolean(rows[0]!.is_demo), true);
      await Promise.all(apps.map((app) => app.close()));
    } finally {
      await Promise.all(databases.map((database) => database.destroy()));
      await setup.destroy();
      await testDb.drop();
    }
  });

  test('an existing account with the demo address becomes the demo account and keeps its profile', async () => {
    const plain = await createTestApp();
    try {
      const config = loadConfig({ ...plain.env, ...DEMO });
      const hash = plain.app.services.auth.hashEmail('review@example.com');
      await plain.database.db
        .insertInto('users')
        .values({ id: crypto.randomUUID(), email_hash: hash, created_at: new Date().toISOString(), is_demo: false, hospital_id: 'kept' })
        .execute();
      const app = await buildApp({ config, database: plain.database, logger: false });
      await app.ready();
      const [user, ...others] = await plain.database.db.selectFrom('users').selectAll().execute();
      assert.equal(others.length, 0);
      assert.equal(Boolean(user!.is_demo), true);
      assert.equal(user!.hospital_id, 'kept');
      assert.ok(user!.specialty && user!.profession && user!.consent_accepted_at, 'missing profile fields are filled in');
      await app.close();
    } finally {
      await plain.close();
    }
  });
});

describe(`the demo address is not singled out (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp({ env: DEMO });
  });
  after(async () => t.close());

  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload, remoteAddress: uniqueIp() });
  const demo = 'review@example.com';

  test('5 wrong codes, in any of the three doors, and even the right code fails until a new code request', async () => {
    assert.equal((await post('/auth/request-code', { email: demo })).statusCode, 202);
    for (let i = 0; i < 3; i++) assert.equal((await post('/auth/verify', { email: demo, code: `00000${i}` })).statusCode, 401);
    assert.equal((await post('/auth/login', { email: demo, code: '000003' })).statusCode, 401);
    assert.equal((await post('/verification/confirm', { email: demo, code: '000004' })).statusCode, 400);
    assert.equal((await post('/auth/verify', { email: demo, code: DEMO.DEMO__CODE })).statusCode, 401, 'verify after 5 wrong');
    assert.equal((await post('/auth/login', { email: demo, code: DEMO.DEMO__CODE })).statusCode, 401, 'login after 5 wrong');
    assert.equal((await post('/verification/confirm', { email: demo, code: DEMO.DEMO__CODE })).statusCode, 400, 'confirm after 5 wrong');

    assert.equal((await post('/verification/request', { email: demo })).statusCode, 202);
    const res = await post('/auth/login', { email: demo, code: DEMO.DEMO__CODE });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(t.smtp.messagesTo(demo).length, 0, 'still no mail to the demo address');
  });

  test('like every code, the demo code is valid for 15 minutes after the request', async () => {
    t.clock.advance(15 * MINUTE);
    assert.equal((await post('/auth/verify', { email: demo, code: DEMO.DEMO__CODE })).statusCode, 401);
    assert.equal((await post('/auth/request-code', { email: demo })).statusCode, 202);
    assert.equal((await post('/auth/verify', { email: demo, code: DEMO.DEMO__CODE })).statusCode, 200);
  });

  test('a code request for the demo address takes as long as a real send', async () => {
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const timed = async (email: string) => {
      const started = performance.now();
      const res = await post('/auth/request-code', { email });
      assert.equal(res.statusCode, 202);
      return performance.now() - started;
    };
    t.clock.advance(15 * MINUTE);
    const real: number[] = [];
    const demoTimes: number[] = [];
    // Interleaved, so that both see the same machine load; the per-address limit is 3 per 15 minutes.
    for (let i = 0; i < 10; i++) {
      real.push(await timed(`someone-${i}@klinik.example`));
      demoTimes.push(await timed(demo));
      t.clock.advance(5 * MINUTE + 1);
    }
    const [r, d] = [median(real), median(demoTimes)];
    assert.ok(d >= r * 0.6 && d <= r * 1.6 + 5, `median real send ${r.toFixed(1)} ms, demo ${d.toFixed(1)} ms`);
  });
});
