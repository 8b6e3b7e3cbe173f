import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bearer, registerByEmail, signInByEmail, uniqueEmail, uniqueIp } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';
import { createTestAppWithSmtp, type TestAppWithSmtp } from '../helpers/smtp.js';

describe(`GDPR: data export and erasure (${backend})`, () => {
  let t: TestAppWithSmtp;
  before(async () => {
    t = await createTestAppWithSmtp();
  });
  after(async () => t.close());

  const addEvent = (userId: string, date: string, planned = 480, actual = 600) =>
    t.database.db
      .insertInto('work_events')
      .values({ id: randomUUID(), user_id: userId, date, planned_minutes: planned, actual_minutes: actual, created_at: t.clock.now().toISOString() })
      .execute();
  const requestCode = (email: string) =>
    t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email }, remoteAddress: uniqueIp() });
  const countRows = async (table: 'users' | 'work_events' | 'verification_codes' | 'rate_limit_hits' | 'stats_by_state_specialty') =>
    Number((await t.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  test('export: everything stored about the user, as a file, nothing about others', async () => {
    const email = uniqueEmail('export');
    const me = await registerByEmail(t, email);
    const other = await registerByEmail(t);
    await addEvent(me.userId, '2026-03-02', 480, 540);
    await addEvent(me.userId, '2026-03-01', 480, 600);
    await addEvent(other.userId, '2026-03-01');
    await requestCode(email); // a pending code

    const res = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(me.token) });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="open-working-hours-export-2026-03-15.json"');
    assert.equal(res.headers['cache-control'], 'no-store');

    const data = res.json();
    assert.equal(data.exported_at, t.clock.now().toISOString());
    const profile = (await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(me.token) })).json();
    assert.deepEqual(data.profile, { ...profile, is_demo: false });
    assert.match(data.email_address, /Not stored/);
    assert.deepEqual(
      data.work_events.map((e: Record<string, unknown>) => [e.date, e.planned_minutes, e.actual_minutes]),
      [
        ['2026-03-01', 480, 600],
        ['2026-03-02', 480, 540],
      ],
      "the user's events, by date, and nobody else's",
    );
    for (const event of data.work_events) assert.ok(event.id && event.created_at);
    assert.equal(data.pending_login_codes.length, 1);
    assert.deepEqual(Object.keys(data.pending_login_codes[0]).sort(), ['attempts', 'created_at', 'expires_at']);
    assert.equal(data.login_code_requests.length, 2, 'the sign-in and the pending request');
    assert.ok(!res.body.includes(t.app.services.auth.hashEmail(email)), 'no e-mail hash in the export');
    assert.ok(!res.body.includes(other.userId));
  });

  test('erasure removes the user, their events, codes and rate-limit records at once; statistics stay', async () => {
    const email = uniqueEmail('erase');
    const me = await registerByEmail(t, email);
    const other = await registerByEmail(t);
    await addEvent(me.userId, '2026-03-01');
    await addEvent(me.userId, '2026-03-02');
    await addEvent(other.userId, '2026-03-01');
    await requestCode(email);
    await t.database.db
      .insertInto('stats_by_state_specialty')
      .values({ id: randomUUID(), period: '2026-02', state_code: 'BE', specialty: 'innere_medizin', n_users: 12, avg_weekly_hours: 51.5, created_at: t.clock.now().toISOString() })
      .execute();
    const hash = t.app.services.auth.hashEmail(email);
    const before = {
      users: await countRows('users'),
      events: await countRows('work_events'),
      hits: await countRows('rate_limit_hits'),
      stats: await countRows('stats_by_state_specialty'),
    };

    const res = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(me.token) });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');

    const db = t.database.db;
    assert.equal(await countRows('users'), before.users - 1);
    assert.equal(await countRows('work_events'), before.events - 2, "only the user's events are gone");
    assert.equal((await db.selectFrom('work_events').selectAll().where('user_id', '=', me.userId).execute()).length, 0);
    assert.equal((await db.selectFrom('verification_codes').selectAll().where('email_hash', '=', hash).execute()).length, 0);
    assert.equal((await db.selectFrom('rate_limit_hits').selectAll().where('bucket', 'like', `%${hash}%`).execute()).length, 0);
    assert.ok((await countRows('rate_limit_hits')) > 0, 'other clients’ rate-limit records stay');
    assert.equal(await countRows('stats_by_state_specialty'), before.stats, 'anonymous statistics stay');

    const old = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(me.token) });
    assert.equal(old.statusCode, 401, 'the old token is dead');
    assert.equal(old.headers['www-authenticate'], 'Bearer');
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(other.token) })).statusCode, 200);

    const again = await signInByEmail(t, email);
    assert.notEqual(again.userId, me.userId, 'the same address signs up again as a new user');
    assert.equal(again.registrationComplete, false);
    const fresh = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(again.token) });
    assert.deepEqual(fresh.json().work_events, [], 'nothing of the old account comes back');
  });
});
