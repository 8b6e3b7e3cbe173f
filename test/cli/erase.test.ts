import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';

describe(`npm run erase (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const userCount = async () =>
    Number((await t.database.db.selectFrom('users').select(t.database.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  test('re-applies erasures by pseudonymous id, idempotently', async () => {
    const gone = await createRegisteredUser(t);
    const kept = await createRegisteredUser(t);
    await t.database.db
      .insertInto('work_events')
      .values({ id: randomUUID(), user_id: gone.user.id, date: '2026-01-05', planned_minutes: 480, actual_minutes: 600, created_at: t.clock.now().toISOString() })
      .execute();
    const run = await runScript('src/cli/erase.ts', t.env, [gone.user.id, randomUUID()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Erased 1 account\(s\); 1 already absent\./);
    assert.equal(await userCount(), 1);
    const left = await t.database.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    assert.equal(left.id, kept.user.id);
    const events = await t.database.db.selectFrom('work_events').selectAll().where('user_id', '=', gone.user.id).execute();
    assert.deepEqual(events, []);

    const again = await runScript('src/cli/erase.ts', t.env, [gone.user.id]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Erased 0 account\(s\); 1 already absent\./);
  });

  test('refuses input that is not a user id, changing nothing', async () => {
    const before = await userCount();
    const run = await runScript('src/cli/erase.ts', t.env, ['someone@example.org']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not a user id: someone@example\.org/);
    assert.equal(await userCount(), before);
  });
});
