import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestApp } from '../helpers/app.js';
import { DAY } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { addCell, count } from '../helpers/statistics.js';

const until = async (condition: () => Promise<boolean>, timeoutMs = 8000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe(`daily maintenance scheduler (${backend})`, () => {
  test('off (AGGREGATION_CRON=off, as in every other test): nothing is scheduled', async () => {
    const t = await createTestApp();
    try {
      assert.equal(t.app.scheduler.nextRun(), null);
    } finally {
      await t.close();
    }
  });

  test('runs the aggregation and the purges on schedule, and stops when the app closes', async () => {
    const t = await createTestApp({
      // Every second, so that the test does not wait for 03:00.
      env: { AGGREGATION_CRON: '* * * * * *' },
      beforeReady: async (app) => {
        await addCell(app.database.db, { period: '2026-01', users: 10 });
        const old = new Date(app.clock.now().getTime() - 2 * DAY).toISOString();
        await app.database.db.insertInto('rate_limit_hits').values({ id: crypto.randomUUID(), bucket: 'old', hit_at: old }).execute();
      },
    });
    const db = t.database.db;
    try {
      assert.ok(t.app.scheduler.nextRun() instanceof Date);
      // January is published (frozen) whether or not the noise displays its cell.
      await until(async () => (await count(db, 'stats_periods')) === 1);
      await until(async () => (await db.selectFrom('rate_limit_hits').selectAll().execute()).length === 0);
      const run = await t.app.services.aggregation.lastRun();
      assert.equal(run?.trigger, 'schedule');

      await t.app.close();
      assert.equal(t.app.scheduler.nextRun(), null);
      const runs = await count(db, 'aggregation_runs');
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal(await count(db, 'aggregation_runs'), runs, 'no run after close');
    } finally {
      await t.close();
    }
  });
});
