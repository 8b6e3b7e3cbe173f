import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';
import { addCell, addEvents, addUser, breakLedger, count, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

// The CLI reads the real clock: the seeded months lie in the past, the refused one far in the future.
describe(`npm run aggregate (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ...CERTAIN_DISPLAY_ENV } });
  });
  after(async () => t.close());

  const aggregate = (...args: string[]) => runScript('src/cli/aggregate.ts', t.env, args);
  const oneLine = (text: string) => text.trimEnd().split('\n').length === 1;

  test('a failure exits 1 with one line and publishes nothing', async () => {
    // 45 people: at EPSILON=10 their cell is displayed with certainty; 4 in Hamburg never are.
    await addCell(t.database.db, { period: '2025-06', users: 45 });
    await addCell(t.database.db, { period: '2025-06', state_code: 'HH', users: 4 });
    const repair = await breakLedger(t.database.db, backend);
    const run = await aggregate();
    await repair();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Aggregation failed: .*ledger unavailable/);
    assert.ok(oneLine(run.stderr), run.stderr);
    assert.equal(await count(t.database.db, 'stats_releases'), 0);
    assert.equal(await count(t.database.db, 'stats_periods'), 0);
    assert.equal(await count(t.database.db, 'privacy_ledger'), 0);
  });

  test('publishes the closed months and prints a short report without per-cell details', async () => {
    const run = await aggregate();
    assert.equal(run.code, 0, run.stderr);
    // Only June has anyone: it is published; the later months stay open for data that may still come.
    const match =
      /^Success: published 2025-06: (\d+) cells? displayed, (\d+) suppressed \(too few people, or an interval wider than ±10 h\), \d+ figures at all levels; 49 people counted, each spending ε = 10 \(490 in all\)\. Nobody counted in \d+ months, 2025-07 to \d{4}-\d{2}: not published, it stays open for later data\. Took \d+ ms\.\n$/.exec(
        run.stdout,
      );
    assert.ok(match, run.stdout);
    assert.ok(Number(match[1]) >= 1, 'the cell of 45 people is displayed');
    assert.equal(Number(match[1]) + Number(match[2]), 16 * 11 * 3, 'every cell of the domain is either displayed or suppressed');
    assert.doesNotMatch(run.stdout, /HH|BY|innere_medizin/);
    const cells = await t.database.db.selectFrom('stats_releases').select(['state_code', 'department_group', 'profession']).where('level', '=', 'cell').execute();
    assert.ok(cells.some((c) => c.state_code === 'BY' && c.department_group === 'innere_medizin' && c.profession === 'physician'));
    assert.equal(await count(t.database.db, 'stats_periods'), 1, 'only the month with people is frozen');
    assert.equal(await count(t.database.db, 'privacy_ledger'), 49);
  });

  test('running again changes nothing and says so', async () => {
    const releases = await count(t.database.db, 'stats_releases');
    const run = await aggregate();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Nothing published\. Nobody counted in \d+ months, 2025-07 to \d{4}-\d{2}: not published, it stays open for later data\./);
    assert.equal(await count(t.database.db, 'stats_releases'), releases, 'June is frozen: its noise is never drawn again');
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
