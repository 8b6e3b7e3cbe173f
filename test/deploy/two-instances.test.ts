import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../../src/db/index.js';
import { testEnv } from '../helpers/app.js';
import { CONSENT, PROFILE, uniqueEmail } from '../helpers/auth.js';
import { backend, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startServer, type RunningServer } from '../helpers/process.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';
import { addCell, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

/**
 * Several instances behind a load balancer on one database must behave as one service (issue 7). Two real
 * server processes, started at the same moment on a fresh database, share users, rate limits, the demo
 * account and the daily aggregation.
 */

/** A 6-field (with seconds) UTC cron expression for one moment, so that both processes fire together. */
function cronAt(moment: Date): string {
  return `${moment.getUTCSeconds()} ${moment.getUTCMinutes()} ${moment.getUTCHours()} * * *`;
}

const json = (body: unknown, token?: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

describe(`two server processes on one database (${backend})`, () => {
  let testDb: TestDatabase;
  let smtp: TestSmtp;
  let servers: RunningServer[] = [];
  let database: Database;
  let aggregationAt: Date;
  before(async () => {
    testDb = await createTestDatabase();
    smtp = await startSmtpServer();
    // Both processes run the daily job at the same second, a little after start-up and seeding.
    // 30 s: starting two processes and the tests before this one take well over 15 s on a busy machine.
    aggregationAt = new Date(Math.ceil((Date.now() + 30_000) / 1000) * 1000);
    const env = testEnv(testDb.url, {
      ...smtp.env,
      ...CERTAIN_DISPLAY_ENV,
      LOG_LEVEL: 'info',
      DEMO__EMAIL: 'review@example.com',
      DEMO__CODE: '424242',
      AGGREGATION_CRON: cronAt(aggregationAt),
    });
    // Started together: both migrate and create the demo account at the same moment.
    servers = await Promise.all([startServer(env), startServer(env)]);
    database = openDatabase(testDb.config);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.destroy();
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

  test('created exactly one demo account and applied the migrations once while starting together', async () => {
    const users = await database.db.selectFrom('users').select('is_demo').execute();
    assert.deepEqual(users.map((u) => Boolean(u.is_demo)), [true]);
    const migrations = await database.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
    const names = migrations.map((m) => (m as { name: string }).name);
    assert.equal(new Set(names).size, names.length, 'no migration recorded twice');
    for (const server of servers) assert.doesNotMatch(server.output(), /migration .* failed/i);
  });

  test('a user signed in and registered through one instance is served by the other', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const email = uniqueEmail('roaming');
    assert.equal((await fetch(`${a.url}/auth/request-code`, json({ email }))).status, 202);
    const verified = await fetch(`${b.url}/auth/verify`, json({ email, code: smtp.lastCodeFor(email) }));
    assert.equal(verified.status, 200, 'the code sent by one instance is accepted by the other');
    const { access_token: token, user_id: userId } = (await verified.json()) as { access_token: string; user_id: string };
    assert.equal((await fetch(`${a.url}/auth/register`, json({ ...PROFILE, ...CONSENT }, token))).status, 200);
    const me = await fetch(`${b.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    const profile = (await me.json()) as { user_id: string; registration_complete: boolean; state_code: string };
    assert.deepEqual([profile.user_id, profile.registration_complete, profile.state_code], [userId, true, PROFILE.state_code]);
  });

  test('two scheduled aggregations at the same moment publish each cell once', async () => {
    // October 2026 is closed (plus grace days) by the time this runs in real time. 45 doctors: at EPSILON=10
    // their cell is displayed with certainty.
    await addCell(database.db, { period: '2026-10', state_code: 'HH', specialty: 'innere_medizin', users: 45 });
    assert.ok(Date.now() < aggregationAt.getTime() - 1000, 'seeded before the scheduled moment');

    const deadline = aggregationAt.getTime() + 30_000;
    let runs: { status: string; cells_published: number; users_counted: number; trigger: string }[] = [];
    while (Date.now() < deadline) {
      runs = await database.db.selectFrom('aggregation_runs').select(['status', 'cells_published', 'users_counted', 'trigger']).execute();
      if (runs.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(runs.length, 2, `both processes ran the schedule: ${JSON.stringify(runs)}`);
    assert.ok(runs.every((r) => r.trigger === 'schedule'));
    assert.deepEqual(runs.map((r) => Number(r.users_counted)).sort(), [0, 45], 'the month was published by exactly one process');
    const cells = await database.db.selectFrom('stats_releases').select(['period', 'state_code', 'department_group', 'profession']).where('level', '=', 'cell').execute();
    assert.equal(cells.length, runs.reduce((sum, r) => sum + Number(r.cells_published), 0), 'each displayed cell stored once');
    assert.ok(cells.some((c) => c.state_code === 'HH' && c.department_group === 'innere_medizin' && c.profession === 'physician'));
    assert.deepEqual(await database.db.selectFrom('stats_periods').select('period').execute(), [{ period: '2026-10' }]);
    assert.equal(Number((await database.db.selectFrom('privacy_ledger').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), 45);
  });
});
