/** The daily job, as the scheduler runs it: publishes closed months and purges everything that expires. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { insertFeedback } from '../helpers/admin-seed.js';
import { DAY } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { addCell } from '../helpers/statistics.js';

describe(`daily maintenance (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const count = async (table: 'feedback' | 'verification_codes' | 'rate_limit_hits' | 'stats_periods') =>
    Number((await t.database.db.selectFrom(table).select(t.database.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  test('one run publishes closed months and purges old feedback, expired codes and rate-limit hits', async () => {
    const { db } = t.database;
    const now = t.clock.now();
    const old = new Date(now.getTime() - 120 * DAY).toISOString();
    await addCell(db, { period: '2026-01', state_code: 'HH', specialty: 'innere_medizin', users: 12 });
    await insertFeedback(db, [
      { createdAt: old, description: 'old report' },
      { createdAt: now.toISOString(), description: 'new report' },
    ]);
    await db
      .insertInto('verification_codes')
      .values({ id: randomUUID(), email_hash: 'h-expired', code: 'x', expires_at: old, used: false, created_at: old })
      .execute();
    await db.insertInto('rate_limit_hits').values({ id: randomUUID(), bucket: 'b', hit_at: old }).execute();

    assert.deepEqual(t.app.services.maintenance.jobNames, [
      'aggregation',
      'rate-limit purge',
      'expired login codes purge',
      'expired e-mail verifications purge',
      'feedback retention purge',
    ]);
    const outcomes = await t.app.services.maintenance.runAll();
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes));

    // Published whether or not its cell is displayed (that depends on the noise): the month is frozen.
    assert.equal(await count('stats_periods'), 1, 'January 2026 is closed on 2026-03-15 and published');
    assert.equal(await count('feedback'), 1, 'only the report older than 90 days is gone');
    assert.equal(await count('verification_codes'), 0);
    assert.equal(await count('rate_limit_hits'), 0);
  });
});
