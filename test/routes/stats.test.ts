import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/index.js';
import type { Clock } from '../../src/services/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { addCell, statsRow } from '../helpers/statistics.js';

const PUBLIC_KEYS = [
  'avg_overtime_weekly_hours',
  'avg_planned_weekly_hours',
  'avg_weekly_hours',
  'ci90_half_width',
  'created_at',
  'epsilon',
  'k_min',
  'n_users',
  'period',
  'specialty',
  'state_code',
];

describe(`public statistics endpoints (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await t.database.db
      .insertInto('stats_by_state_specialty')
      .values([
        statsRow({ period: '2025-12', state_code: 'BY', specialty: 'surgery', avg_weekly_hours: 49.5 }),
        statsRow({ period: '2026-01', state_code: 'BY', specialty: 'internal_medicine', avg_weekly_hours: 52.25 }),
        statsRow({ period: '2026-01', state_code: 'BE', specialty: 'surgery', avg_weekly_hours: 55.75, avg_overtime_weekly_hours: -1.5 }),
        statsRow({ period: '2025-11', state_code: 'HH', specialty: '=HYPERLINK("x"),"quoted"', n_users: 10 }),
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
        ['2026-01', 'BE', 'surgery'],
        ['2026-01', 'BY', 'internal_medicine'],
        ['2025-12', 'BY', 'surgery'],
        ['2025-11', 'HH', '=HYPERLINK("x"),"quoted"'],
      ],
    );
    for (const row of rows) assert.deepEqual(Object.keys(row).sort(), PUBLIC_KEYS);
    assert.deepEqual(rows[0], {
      period: '2026-01',
      state_code: 'BE',
      specialty: 'surgery',
      n_users: 15,
      avg_weekly_hours: 55.75,
      avg_planned_weekly_hours: 44.5,
      avg_overtime_weekly_hours: -1.5,
      ci90_half_width: 19.19,
      epsilon: 1,
      k_min: 10,
      created_at: '2026-02-08T03:00:00.000Z',
    });
    assert.equal(res.headers['x-total-count'], '4');
  });

  test('filters by period, state and specialty, and pages with limit and offset', async () => {
    const of = async (query: string) => (await get(`/stats/by-state-specialty?${query}`)).json() as { period: string; state_code: string }[];
    assert.deepEqual((await of('period=2026-01')).map((r) => r.state_code), ['BE', 'BY']);
    assert.deepEqual((await of('state_code=BY')).map((r) => r.period), ['2026-01', '2025-12']);
    assert.deepEqual((await of('specialty=surgery&state_code=BY')).map((r) => r.period), ['2025-12']);
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
    assert.equal(lines[0], 'period,state_code,specialty,n_users,avg_weekly_hours,avg_planned_weekly_hours,avg_overtime_weekly_hours,ci90_half_width,epsilon,k_min,created_at');
    assert.equal(lines[1], `2025-11,HH,"'=HYPERLINK(""x""),""quoted""",10,52.25,44.5,7.75,19.19,1,10,2026-02-08T03:00:00.000Z`);

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
    assert.deepEqual(summary.specialties, ['=HYPERLINK("x"),"quoted"', 'internal_medicine', 'surgery']);
    const methodology = summary.methodology as Record<string, unknown>;
    assert.equal(methodology.k_min, 10);
    assert.equal(methodology.epsilon, 1);
    assert.equal(methodology.epsilon_actual, 0.8);
    assert.equal(methodology.epsilon_planned, 0.2);
    assert.equal(methodology.weekly_hours_cap, 100);
    assert.equal(methodology.min_days_per_user, 7);
    assert.equal(methodology.grace_days, 7);
    assert.equal(methodology.noise_grid_hours, 0.01);
    assert.match(String(methodology.noise), /discrete Laplace/);
    assert.match(String(methodology.n_users_rounding), /multiple of 5/);
  });
});

describe(`public statistics cache (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('with nothing published the summary says so, whatever raw data exists', async () => {
    await addCell(t.database.db, { period: '2026-01', users: 12 });
    const summary = (await t.app.inject('/stats/summary')).json() as Record<string, unknown>;
    assert.deepEqual([summary.periods, summary.latest_period, summary.cells_published, summary.states], [[], null, 0, []]);
    assert.deepEqual((await t.app.inject('/stats/by-state-specialty')).json(), []);
  });

  test('publishing clears this process’s cache at once; another process follows within the TTL', async () => {
    // A second app on the same database stands in for another server process.
    const database = openDatabase(t.config.database);
    const other = await buildApp({ config: t.config, database, clock: t.clock as Clock });
    try {
      assert.deepEqual((await other.inject('/stats/by-state-specialty')).json(), []);
      const before = await t.app.inject('/stats/summary');

      const report = await t.app.services.aggregation.run({ trigger: 'admin' });
      assert.equal(report.cells_published, 1);

      const here = await t.app.inject('/stats/summary');
      assert.deepEqual((here.json() as { periods: string[] }).periods, ['2026-01']);
      assert.notEqual(here.headers.etag, before.headers.etag);
      assert.equal((await t.app.inject('/stats/by-state-specialty')).json().length, 1);

      assert.deepEqual((await other.inject('/stats/by-state-specialty')).json(), [], 'still the cached copy');
      t.clock.advance(61_000);
      assert.equal((await other.inject('/stats/by-state-specialty')).json().length, 1, 'expired after the TTL');
    } finally {
      await other.close();
      await database.destroy();
    }
  });
});
