import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { buildApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/index.js';
import type { Clock } from '../../src/services/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { addCell, statsRow, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

const PUBLIC_KEYS = [
  'actual_ci_half',
  'avg_overtime_weekly_hours',
  'avg_planned_weekly_hours',
  'avg_weekly_hours',
  'ci90_half_width',
  'computed_at',
  'country_code',
  'created_at',
  'epsilon',
  'k_min',
  'level',
  'method',
  'n_display',
  'n_users',
  'overtime_ci_half',
  'overtime_mean_hours',
  'period',
  'period_end',
  'period_start',
  'planned_ci_half',
  'planned_mean_hours',
  'profession',
  'specialty',
  'stat_id',
  'state_code',
  'status',
];
const CSV_HEADER =
  'period,state_code,specialty,profession,level,method,n_users,avg_weekly_hours,avg_planned_weekly_hours,avg_overtime_weekly_hours,ci90_half_width,' +
  'epsilon,k_min,created_at,stat_id,country_code,period_start,period_end,planned_mean_hours,overtime_mean_hours,' +
  'actual_ci_half,planned_ci_half,overtime_ci_half,n_display,status,computed_at';
const BE_SURGERY_ID = '6f1c1a52-3d1e-4c55-9a43-0c4a3f1b2e01';
const HH_ID = '6f1c1a52-3d1e-4c55-9a43-0c4a3f1b2e02';

/** What the app's insights card checks before it shows a row (contract mobile-app-v2 §4.12). */
function appShowsCard(row: Record<string, unknown>): boolean {
  const finite = (key: string) => typeof row[key] === 'number' && Number.isFinite(row[key]);
  return (
    row.status === 'published' &&
    ['planned_mean_hours', 'overtime_mean_hours', 'planned_ci_half', 'actual_ci_half', 'overtime_ci_half', 'n_display'].every(finite) &&
    ['planned_ci_half', 'actual_ci_half', 'overtime_ci_half'].every((key) => (row[key] as number) >= 0)
  );
}

/** actual = planned + overtime to the cent, in whole cents and as the two decimals anyone displays. */
function assertActualIsPlannedPlusOvertime(row: Record<string, unknown>): void {
  const [actual, planned, overtime] = [row.avg_weekly_hours, row.planned_mean_hours, row.overtime_mean_hours] as number[];
  const cents = (hours: number) => Math.round(hours * 100);
  assert.equal(cents(planned!) + cents(overtime!), cents(actual!), JSON.stringify(row));
  assert.equal((planned! + overtime!).toFixed(2), actual!.toFixed(2), JSON.stringify(row));
  for (const hours of [actual!, planned!, overtime!]) assert.ok(Math.abs(hours * 100 - cents(hours)) < 1e-6, `${hours} is on the 1/100-hour grid`);
}

describe(`public statistics endpoints (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await t.database.db
      .insertInto('stats_by_state_specialty')
      .values([
        statsRow({ period: '2025-12', state_code: 'BY', specialty: 'chirurgie', avg_weekly_hours: 49.5, avg_overtime_weekly_hours: 5 }),
        statsRow({ period: '2026-01', state_code: 'BY', specialty: 'innere_medizin', avg_weekly_hours: 52.25 }),
        statsRow({
          id: BE_SURGERY_ID,
          period: '2026-01',
          state_code: 'BE',
          specialty: 'chirurgie',
          avg_weekly_hours: 55.75,
          avg_planned_weekly_hours: 57.25,
          avg_overtime_weekly_hours: -1.5,
        }),
        statsRow({ id: HH_ID, period: '2025-11', state_code: 'HH', specialty: '=HYPERLINK("x"),"quoted"', n_users: 10 }),
      ])
      .execute();
  });
  after(async () => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  test('lists published rows, newest period first, with exactly the public columns', async () => {
    const res = await get('/stats/by-state-specialty');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const rows = res.json() as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.period, r.state_code, r.specialty]),
      [
        ['2026-01', 'BE', 'chirurgie'],
        ['2026-01', 'BY', 'innere_medizin'],
        ['2025-12', 'BY', 'chirurgie'],
        ['2025-11', 'HH', '=HYPERLINK("x"),"quoted"'],
      ],
    );
    for (const row of rows) assert.deepEqual(Object.keys(row).sort(), PUBLIC_KEYS);
    assert.deepEqual(rows[0], {
      period: '2026-01',
      state_code: 'BE',
      specialty: 'chirurgie',
      profession: null,
      level: 'state_department_group',
      method: 'v1-laplace-2026',
      n_users: 15,
      avg_weekly_hours: 55.75,
      avg_planned_weekly_hours: 57.25,
      avg_overtime_weekly_hours: -1.5,
      ci90_half_width: 19.19,
      epsilon: 1,
      k_min: 10,
      created_at: '2026-02-08T03:00:00.000Z',
      stat_id: BE_SURGERY_ID,
      country_code: 'DEU',
      period_start: '2026-01-01',
      period_end: '2026-01-31',
      planned_mean_hours: 57.25,
      overtime_mean_hours: -1.5,
      actual_ci_half: 19.19,
      planned_ci_half: 76.76,
      overtime_ci_half: 101.46,
      n_display: 15,
      status: 'published',
      computed_at: '2026-02-08T03:00:00.000Z',
    });
    for (const row of rows.slice(0, 3)) {
      assert.ok(appShowsCard(row), JSON.stringify(row));
      assertActualIsPlannedPlusOvertime(row);
    }
    assert.equal(res.headers['x-total-count'], '4');
  });

  test('filters by period, state and specialty, and pages with limit and offset', async () => {
    const of = async (query: string) => (await get(`/stats/by-state-specialty?${query}`)).json() as { period: string; state_code: string }[];
    assert.deepEqual((await of('period=2026-01')).map((r) => r.state_code), ['BE', 'BY']);
    assert.deepEqual((await of('state_code=BY')).map((r) => r.period), ['2026-01', '2025-12']);
    assert.deepEqual((await of('specialty=chirurgie&state_code=BY')).map((r) => r.period), ['2025-12']);
    assert.deepEqual(await of('specialty=chirurg'), [], 'exact match only');
    assert.deepEqual(await of('period=2024-01'), []);
    const page = await get('/stats/by-state-specialty?limit=2&offset=1');
    assert.deepEqual((page.json() as { period: string }[]).map((r) => r.period), ['2026-01', '2025-12']);
    assert.equal(page.headers['x-total-count'], '4');
  });

  test('refuses malformed queries with 422 naming the parameter', async () => {
    for (const [query, field] of [
      ['period=2026-13', 'period'],
      ['period=January', 'period'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['format=xml', 'format'],
      ['limit=5001', 'limit'],
      ['country_code=de', 'country_code'],
      ['country_code=DE', 'country_code'],
      ['country_code=DEUT', 'country_code'],
    ] as const) {
      const res = await get(`/stats/by-state-specialty?${query}`);
      assert.equal(res.statusCode, 422, query);
      assert.match((res.json() as { detail: string }).detail, new RegExp(`^${field}`), query);
    }
  });

  test('answers CSV for ?format=csv or Accept: text/csv, safe to open in a spreadsheet', async () => {
    const res = await get('/stats/by-state-specialty?format=csv&period=2025-11');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="open-working-hours-2025-11.csv"/);
    const lines = res.body.trimEnd().split('\r\n');
    assert.equal(lines[0], CSV_HEADER);
    assert.equal(
      lines[1],
      `2025-11,HH,"'=HYPERLINK(""x""),""quoted""",,state_department_group,v1-laplace-2026,10,52.25,44.5,7.75,19.19,1,10,2026-02-08T03:00:00.000Z,` +
        `${HH_ID},DEU,2025-11-01,2025-11-30,44.5,7.75,19.19,76.76,101.46,10,published,2026-02-08T03:00:00.000Z`,
    );

    const negotiated = await get('/stats/by-state-specialty', { accept: 'text/csv' });
    assert.match(String(negotiated.headers['content-type']), /^text\/csv/);
    assert.equal(negotiated.body.trimEnd().split('\r\n').length, 5);
    assert.match(String(negotiated.headers.vary), /Accept/i);
    const preferJson = await get('/stats/by-state-specialty', { accept: 'application/json, text/csv;q=0.5' });
    assert.match(String(preferJson.headers['content-type']), /^application\/json/);
    const browser = await get('/stats/by-state-specialty', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.match(String(browser.headers['content-type']), /^application\/json/);
    const csvOverride = await get('/stats/by-state-specialty?format=json', { accept: 'text/csv' });
    assert.match(String(csvOverride.headers['content-type']), /^application\/json/);
  });

  test('sends Cache-Control and an ETag, and 304 when the client has the current version', async () => {
    const first = await get('/stats/by-state-specialty?period=2026-01');
    assert.equal(first.headers['cache-control'], 'public, max-age=60');
    const etag = String(first.headers.etag);
    assert.match(etag, /^W\/"[\w-]+"$/);
    const again = await get('/stats/by-state-specialty?period=2026-01', { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, etag);
    assert.equal((await get('/stats/by-state-specialty?period=2026-01', { 'if-none-match': `"other", ${etag.slice(2)}` })).statusCode, 304);
    assert.equal((await get('/stats/by-state-specialty?period=2026-01', { 'if-none-match': '"stale"' })).statusCode, 200);
    const csv = await get('/stats/by-state-specialty?period=2026-01&format=csv', { 'if-none-match': etag });
    assert.equal(csv.statusCode, 200, 'the CSV is another representation with its own ETag');
    assert.notEqual(csv.headers.etag, etag);

    const summary = await get('/stats/summary');
    assert.equal(summary.headers['cache-control'], 'public, max-age=60');
    assert.equal((await get('/stats/summary', { 'if-none-match': String(summary.headers.etag) })).statusCode, 304);
  });

  test('sends the cached gzip body to clients that accept it', async () => {
    const plain = await get('/stats/by-state-specialty');
    const zipped = await get('/stats/by-state-specialty', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.etag, plain.headers.etag);
    assert.match(String(zipped.headers.vary), /Accept-Encoding/);
    assert.equal(gunzipSync(zipped.rawPayload).toString('utf8'), plain.body);
    assert.ok(zipped.rawPayload.length < plain.rawPayload.length);
    assert.equal((await get('/stats/by-state-specialty', { 'accept-encoding': 'gzip;q=0, identity' })).headers['content-encoding'], undefined);
  });

  test('the summary is computed from published rows and describes the method', async () => {
    const res = await get('/stats/summary');
    assert.equal(res.statusCode, 200);
    const summary = res.json() as Record<string, unknown>;
    assert.deepEqual(summary.periods, ['2026-01', '2025-12', '2025-11']);
    assert.equal(summary.latest_period, '2026-01');
    assert.equal(summary.cells_published, 4);
    assert.deepEqual(summary.states, ['BE', 'BY', 'HH']);
    assert.deepEqual(summary.specialties, ['=HYPERLINK("x"),"quoted"', 'chirurgie', 'innere_medizin']);
    assert.deepEqual(summary.labels, {
      states: { BE: { de: 'Berlin', en: 'Berlin' }, BY: { de: 'Bayern', en: 'Bavaria' }, HH: { de: 'Hamburg', en: 'Hamburg' } },
      specialties: {
        chirurgie: { de: 'Chirurgie', en: 'Surgery' },
        innere_medizin: { de: 'Innere Medizin', en: 'Internal Medicine' },
      },
    }, 'a key without a known name (the formula) has none');
    const methodology = summary.methodology as Record<string, unknown>;
    assert.equal(methodology.k_min, 10);
    assert.equal(methodology.epsilon, 1);
    assert.equal(methodology.method, 'v2-bounded-mean-2026');
    const split = methodology.epsilon_split as Record<string, Record<string, number>>;
    assert.deepEqual(Object.keys(split.actual!), ['state', 'department_group', 'profession', 'cell']);
    assert.deepEqual(split.overtime, split.actual, 'actual hours and overtime are measured alike');
    const spent = [split.count!, split.actual!, split.overtime!].flatMap((part) => Object.values(part)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(spent - 1) < 1e-9, `the parts of ε add up to ε = 1, got ${spent}`);
    assert.equal(split.count!.cell, 0.3);
    assert.equal(methodology.weekly_hours_cap, 80);
    assert.equal(methodology.first_period, '2020-01');
    assert.equal(methodology.grace_days, 7);
    assert.equal(methodology.noise_grid_hours, 0.01);
    assert.match(String(methodology.noise), /discrete Laplace/);
    assert.match(String(methodology.who_counts), /complete week/);
    assert.match(String(methodology.display_rule), /noisy count .* at least k_min .* at most ±10 h/);
    assert.equal(methodology.max_half_width_hours, 10);
    const thresholds = methodology.display_thresholds as Record<string, number>;
    assert.deepEqual([thresholds.cell, thresholds.state_department_group], [18, 26], 'the thresholds of the levels the app and the page show');
    const small = methodology.small_cell_display_probability as number;
    assert.ok(small > 0 && small < 0.01, `a cell of K_MIN / 2 − 1 people is displayed with probability under 1%, got ${small}`);
  });
});

describe(`public statistics cache (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ...CERTAIN_DISPLAY_ENV } });
  });
  after(async () => t.close());

  test('with nothing published the summary says so, whatever raw data exists', async () => {
    // 45 people: at EPSILON=10 their state × department-group row is displayed with certainty once published,
    // so the test below is deterministic.
    await addCell(t.database.db, { period: '2026-01', users: 45 });
    const summary = (await t.app.inject('/stats/summary')).json() as Record<string, unknown>;
    assert.deepEqual([summary.periods, summary.latest_period, summary.cells_published, summary.states], [[], null, 0, []]);
    assert.deepEqual((await t.app.inject('/stats/by-state-specialty')).json(), []);
  });

  test('publishing clears this process’s cache at once; another process follows within the TTL', async () => {
    // A second app on the same database stands in for another server process.
    const database = openDatabase(t.config.database);
    const other = await buildApp({ config: t.config, database, clock: t.clock as Clock });
    // Their row; empty rows of the domain may be displayed too (a noisy count of ≥ 10 out of nobody).
    const theirs = '/stats/by-state-specialty?state_code=BY&specialty=innere_medizin';
    try {
      assert.deepEqual((await other.inject(theirs)).json(), []);
      const before = await t.app.inject('/stats/summary');

      const report = await t.app.services.aggregation.run({ trigger: 'admin' });
      assert.ok(report.cells_published >= 1, report.message);

      const here = await t.app.inject('/stats/summary');
      assert.deepEqual((here.json() as { periods: string[] }).periods, ['2026-01']);
      assert.notEqual(here.headers.etag, before.headers.etag);
      assert.equal((await t.app.inject(theirs)).json().length, 1);

      assert.deepEqual((await other.inject(theirs)).json(), [], 'still the cached copy');
      t.clock.advance(61_000);
      assert.equal((await other.inject(theirs)).json().length, 1, 'expired after the TTL');
    } finally {
      await other.close();
      await database.destroy();
    }
  });
});

describe(`the app's insights query (${backend})`, () => {
  let t: TestApp;
  const APP_QUERY = '/stats/by-state-specialty?country_code=DEU&state_code=BE&specialty=innere_medizin&limit=1';
  const NEWEST_ID = '0b8f3a1e-93c4-4f7a-8d5e-7a1c2b3d4e01';
  before(async () => {
    t = await createTestApp();
    await t.database.db
      .insertInto('stats_by_state_specialty')
      .values([
        statsRow({ period: '2024-02', state_code: 'BE', specialty: 'innere_medizin', avg_weekly_hours: 50, avg_planned_weekly_hours: 41.01, avg_overtime_weekly_hours: 8.99 }),
        statsRow({ period: '2025-02', state_code: 'BE', specialty: 'innere_medizin', avg_weekly_hours: 51.07, avg_planned_weekly_hours: 40.1, avg_overtime_weekly_hours: 10.97 }),
        statsRow({
          id: NEWEST_ID,
          period: '2026-01',
          state_code: 'BE',
          specialty: 'innere_medizin',
          n_users: 20,
          avg_weekly_hours: 53.33,
          avg_planned_weekly_hours: 40.17,
          avg_overtime_weekly_hours: 13.16,
          ci90_half_width: 14.4,
          planned_ci90_half_width: 57.57,
          overtime_ci90_half_width: 76.1,
          created_at: '2026-02-08T03:00:00.000Z',
        }),
        // Newer, but other cells: other group, other state, not_specified.
        statsRow({ period: '2026-02', state_code: 'BE', specialty: 'chirurgie' }),
        statsRow({ period: '2026-02', state_code: 'BY', specialty: 'innere_medizin' }),
        statsRow({ period: '2026-02', state_code: 'BE', specialty: 'not_specified' }),
        // A month published under the first vocabulary, before planned and overtime intervals existed.
        statsRow({ period: '2025-06', state_code: 'BE', specialty: 'cardiology', planned_ci90_half_width: null, overtime_ci90_half_width: null }),
        // A month published before planned hours were recorded at all.
        statsRow({
          period: '2025-05',
          state_code: 'BE',
          specialty: 'internal_medicine',
          avg_planned_weekly_hours: null,
          avg_overtime_weekly_hours: null,
          ci90_half_width: null,
          planned_ci90_half_width: null,
          overtime_ci90_half_width: null,
          epsilon: null,
          k_min: null,
        }),
      ])
      .execute();
  });
  after(async () => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const list = async (query: string) => {
    const res = await get(`/stats/by-state-specialty?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as Record<string, unknown>[];
  };

  test("the app's exact query answers the newest published row of its cell, which the card shows", async () => {
    const res = await get(APP_QUERY);
    assert.equal(res.statusCode, 200);
    const rows = res.json() as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], {
      period: '2026-01',
      state_code: 'BE',
      specialty: 'innere_medizin',
      profession: null,
      level: 'state_department_group',
      method: 'v1-laplace-2026',
      n_users: 20,
      avg_weekly_hours: 53.33,
      avg_planned_weekly_hours: 40.17,
      avg_overtime_weekly_hours: 13.16,
      ci90_half_width: 14.4,
      epsilon: 1,
      k_min: 10,
      created_at: '2026-02-08T03:00:00.000Z',
      stat_id: NEWEST_ID,
      country_code: 'DEU',
      period_start: '2026-01-01',
      period_end: '2026-01-31',
      planned_mean_hours: 40.17,
      overtime_mean_hours: 13.16,
      actual_ci_half: 14.4,
      planned_ci_half: 57.57,
      overtime_ci_half: 76.1,
      n_display: 20,
      status: 'published',
      computed_at: '2026-02-08T03:00:00.000Z',
    });
    assert.ok(appShowsCard(rows[0]!));
    assertActualIsPlannedPlusOvertime(rows[0]!);
    assert.equal(res.headers['x-total-count'], '3', 'three months of that cell');
  });

  test('period_start and period_end are the first and last day of the month, leap years included', async () => {
    const rows = await list('country_code=DEU&state_code=BE&specialty=innere_medizin');
    assert.deepEqual(
      rows.map((r) => [r.period, r.period_start, r.period_end]),
      [
        ['2026-01', '2026-01-01', '2026-01-31'],
        ['2025-02', '2025-02-01', '2025-02-28'],
        ['2024-02', '2024-02-01', '2024-02-29'],
      ],
      'newest first',
    );
    for (const row of rows) assertActualIsPlannedPlusOvertime(row);
  });

  test('only Germany has statistics: DEU lists them, another country is an empty list, a malformed code 422', async () => {
    assert.equal((await list('country_code=DEU')).length, 8);
    const austria = await get('/stats/by-state-specialty?country_code=AUT&state_code=BE&specialty=innere_medizin&limit=1');
    assert.equal(austria.statusCode, 200);
    assert.deepEqual(austria.json(), []);
    assert.equal(austria.headers['x-total-count'], '0');
    const csv = await get('/stats/by-state-specialty?country_code=AUT&format=csv');
    assert.equal(csv.body, `${CSV_HEADER}\r\n`, 'an empty CSV still has its header');
    for (const code of ['de', 'deu', 'DE', 'DEUT', 'D1U', '']) {
      const res = await get(`/stats/by-state-specialty?country_code=${code}`);
      assert.equal(res.statusCode, 422, code);
      assert.match((res.json() as { detail: string }).detail, /^country_code/, code);
    }
  });

  test('filters combine, each matching exactly', async () => {
    const of = async (query: string) => (await list(query)).map((r) => [r.period, r.state_code, r.specialty]);
    assert.deepEqual(await of('country_code=DEU&state_code=BE&specialty=innere_medizin&period=2025-02'), [['2025-02', 'BE', 'innere_medizin']]);
    assert.deepEqual(await of('state_code=BE&period=2026-02'), [
      ['2026-02', 'BE', 'chirurgie'],
      ['2026-02', 'BE', 'not_specified'],
    ]);
    assert.deepEqual(await of('specialty=innere_medizin&period=2026-02'), [['2026-02', 'BY', 'innere_medizin']]);
    assert.deepEqual(await of('state_code=BY&specialty=chirurgie'), []);
    assert.deepEqual(await of('country_code=DEU&state_code=be&specialty=innere_medizin'), [], 'codes match exactly');
    assert.deepEqual(await of('state_code=BE&specialty=innere_medizin&limit=1&offset=1'), [['2025-02', 'BE', 'innere_medizin']]);
  });

  test('every filter is part of the cache key: different filters never share an answer', async () => {
    // Each pair differs in one filter only; the first answer is cached before the second is asked.
    const pairs = [
      ['country_code=AUT&state_code=BE&specialty=innere_medizin', 'country_code=DEU&state_code=BE&specialty=innere_medizin'],
      ['state_code=BY&specialty=innere_medizin', 'state_code=BE&specialty=innere_medizin'],
      ['state_code=BE&specialty=chirurgie', 'state_code=BE&specialty=innere_medizin'],
      ['state_code=BE&specialty=innere_medizin&period=2025-02', 'state_code=BE&specialty=innere_medizin&period=2024-02'],
      ['state_code=BE&specialty=innere_medizin&limit=1', 'state_code=BE&specialty=innere_medizin&limit=2'],
      ['state_code=BE&specialty=innere_medizin&offset=0', 'state_code=BE&specialty=innere_medizin&offset=1'],
    ];
    for (const [first, second] of pairs) {
      const a = await get(`/stats/by-state-specialty?${first}`);
      const b = await get(`/stats/by-state-specialty?${second}`);
      assert.notDeepEqual(a.json(), b.json(), `${first} vs ${second}`);
      assert.notEqual(a.headers.etag, b.headers.etag, `${first} vs ${second}`);
      assert.deepEqual((await get(`/stats/by-state-specialty?${first}`)).json(), a.json(), 'and each keeps its own answer');
    }
  });

  test('rows published before the app fields existed carry nulls where values are missing, and the card stays hidden', async () => {
    const [legacy] = await list('specialty=cardiology');
    assert.equal(legacy!.period_start, '2025-06-01');
    assert.equal(legacy!.planned_mean_hours, 44.5);
    assert.equal(legacy!.planned_ci_half, null);
    assert.equal(legacy!.overtime_ci_half, null);
    assert.equal(legacy!.status, 'published');
    assert.equal(appShowsCard(legacy!), false);

    const [oldest] = await list('specialty=internal_medicine');
    assert.deepEqual(
      [oldest!.planned_mean_hours, oldest!.overtime_mean_hours, oldest!.actual_ci_half, oldest!.planned_ci_half, oldest!.overtime_ci_half],
      [null, null, null, null, null],
    );
    assert.equal(oldest!.n_display, 15);
    assert.deepEqual(Object.keys(oldest!).sort(), PUBLIC_KEYS, 'every key present, null where unknown');

    const summary = (await get('/stats/summary')).json() as { specialties: string[]; labels: { specialties: Record<string, unknown> } };
    assert.deepEqual(summary.specialties, ['cardiology', 'chirurgie', 'innere_medizin', 'internal_medicine', 'not_specified']);
    assert.deepEqual(summary.labels.specialties.cardiology, { de: 'Innere Medizin und Kardiologie', en: 'Cardiology' });
    assert.deepEqual(summary.labels.specialties.not_specified, { de: 'Keine Angabe', en: 'Not specified' });
  });
});

describe(`published rows from the aggregation, with real noise (${backend})`, () => {
  let t: TestApp;
  // Odd minutes, so that the averages are not round numbers before the noise either.
  const CELLS = [
    ['BE', 'innere_medizin', 577, 481],
    ['BE', 'chirurgie', 613, 467],
    ['BY', 'innere_medizin', 541, 499],
    ['BY', 'not_specified', 503, 503],
    ['HH', 'notaufnahme', 659, 421],
    ['HH', 'paediatrie', 523, 487],
  ] as const;
  before(async () => {
    t = await createTestApp({ env: { ...CERTAIN_DISPLAY_ENV } });
    // 45 people per cell: at EPSILON=10 each is displayed with certainty.
    for (const [state_code, specialty, actual, planned] of CELLS) {
      await addCell(t.database.db, { period: '2026-01', state_code, specialty, users: 45, days: 14, actual, planned });
    }
    const report = await t.app.services.aggregation.run({ trigger: 'admin' });
    assert.ok(report.cells_published >= 6, report.message);
    assert.equal(report.users_counted, 270);
  });
  after(async () => t.close());

  test('every published row passes the app card checks, and actual = planned + overtime to the cent', async () => {
    // Every displayed row, those of empty parts of the domain that noise pushed over k included.
    const rows = (await t.app.inject('/stats/by-state-specialty?country_code=DEU&limit=5000')).json() as Record<string, unknown>[];
    for (const [state_code, specialty] of CELLS) {
      assert.equal(rows.filter((r) => r.state_code === state_code && r.specialty === specialty).length, 1, `${state_code} ${specialty}`);
    }
    for (const row of rows) {
      assert.ok(appShowsCard(row), JSON.stringify(row));
      assertActualIsPlannedPlusOvertime(row);
      for (const key of ['actual_ci_half', 'planned_ci_half', 'overtime_ci_half']) assert.ok((row[key] as number) > 0, `${key} of ${JSON.stringify(row)}`);
      assert.deepEqual([row.period_start, row.period_end, row.method, row.level], ['2026-01-01', '2026-01-31', 'v2-bounded-mean-2026', 'state_department_group']);
      assert.ok(Number.isInteger(row.n_display) && (row.n_display as number) >= 10, 'displayed only with a noisy count of at least k_min, not rounded');
      assert.equal(row.n_users, row.n_display);
    }
    const app = (await t.app.inject('/stats/by-state-specialty?country_code=DEU&state_code=HH&specialty=notaufnahme&limit=1')).json();
    assert.equal(app.length, 1);
  });
});

describe(`public statistics cache memory (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    // 1200 published rows, so that each page `?limit=300&offset=i` is about 200 KB of JSON.
    const rows = Array.from({ length: 1200 }, (_, i) =>
      statsRow({ period: `20${String(10 + Math.floor(i / 100)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}`, specialty: `group-${i}` }),
    );
    for (let i = 0; i < rows.length; i += 200) await t.database.db.insertInto('stats_by_state_specialty').values(rows.slice(i, i + 200)).execute();
  });
  after(async () => t.close());

  test('1000 distinct pages keep the cache and the heap within the byte bound', async () => {
    const gc = collector();
    const cache = t.app.services.statistics.cache;
    const first = await t.app.inject('/stats/by-state-specialty?limit=300&offset=0');
    assert.equal(first.statusCode, 200);
    assert.ok(first.body.length > 100_000, `a page is ${first.body.length} bytes`);
    await gc();
    const baseline = memory();
    for (let i = 1; i <= 1000; i++) {
      const page = await t.app.inject(`/stats/by-state-specialty?limit=300&offset=${i}`);
      assert.equal(page.statusCode, 200);
    }
    assert.ok(cache.bytes <= cache.maxBytes, `the cache holds ${cache.bytes} bytes, bound ${cache.maxBytes}`);
    await gc();
    const growth = memory() - baseline;
    // Unbounded, 1000 such pages would hold about 200 MB; the slack covers the test runner's own garbage.
    assert.ok(growth < cache.maxBytes + 16 * 2 ** 20, `memory grew by ${Math.round(growth / 2 ** 20)} MB`);
  });
});

/** The heap and Buffer memory in use (the cached bodies are Buffers, outside the JS heap). */
function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A full garbage collection, available without starting node with --expose-gc. */
function collector(): () => Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return async () => {
    // Injected requests release their buffers only after a turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    gc();
  };
}
