import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';
import { addCell, addEvents, addUser, breakLedger, count } from '../helpers/statistics.js';

// The CLI reads the real clock: the seeded months lie in the past, the refused one far in the future.
describe(`npm run aggregate (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const aggregate = (...args: string[]) => runScript('src/cli/aggregate.ts', t.env, args);
  const oneLine = (text: string) => text.trimEnd().split('\n').length === 1;

  test('a failure exits 1 with one line and publishes nothing', async () => {
    await addCell(t.database.db, { period: '2025-06', users: 10 });
    await addCell(t.database.db, { period: '2025-06', state_code: 'HH', users: 4 });
    const repair = await breakLedger(t.database.db, backend);
    const run = await aggregate();
    await repair();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Aggregation failed: .*ledger unavailable/);
    assert.ok(oneLine(run.stderr), run.stderr);
    assert.equal(await count(t.database.db, 'stats_by_state_specialty'), 0);
  });

  test('publishes the closed months and prints a short report without per-cell details', async () => {
    const run = await aggregate();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Success: published \d+ months, 2025-06 to \d{4}-\d{2}: 1 cell, 1 suppressed \(fewer than k people\), 10 people counted\. Took \d+ ms\.\n$/);
    assert.doesNotMatch(run.stdout, /HH|BY|internal_medicine/);
    assert.equal(await count(t.database.db, 'stats_by_state_specialty'), 1);
  });

  test('running again changes nothing and says so', async () => {
    const run = await aggregate();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Nothing to do: every closed month is already published/);
    const one = await aggregate('--period', '2025-06');
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /2025-06 is already published/);
  });

  test('refuses a month that is not closed, a malformed month and unknown options with one line', async () => {
    for (const [args, message] of [
      [['--period', '2099-01'], /^Aggregation refused: 2099-01 is not closed yet: it can be published from 2099-02-08 \(Europe\/Berlin\)$/],
      [['--period=2025-6'], /^Aggregation refused: period must be a month written as YYYY-MM, got '2025-6'$/],
      [['--month', '2025-06'], /^Usage: npm run aggregate \[-- --period YYYY-MM\]: .*'--month'/],
    ] as const) {
      const run = await aggregate(...args);
      assert.equal(run.code, 1, args.join(' '));
      assert.match(run.stderr.trimEnd(), message);
      assert.ok(oneLine(run.stderr), run.stderr);
    }
  });
});

describe(`npm run aggregate on a database that never published anything (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const aggregate = () => runScript('src/cli/aggregate.ts', t.env, []);
  const NOTHING_YET = /^Nothing to publish yet: no month with recorded working time has closed \(a month is published \d+ days after it ends\)\. Took \d+ ms\.\n$/;

  test('without any recorded time it says that nothing can be published yet, not that all is published', async () => {
    const run = await aggregate();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, NOTHING_YET);
  });

  test('with time recorded only in the open month, the same', async () => {
    await addEvents(t.database.db, await addUser(t.database.db), [new Date().toISOString().slice(0, 10)], { actual: 480, planned: 480 });
    const run = await aggregate();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, NOTHING_YET);
  });
});
