import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { basicAuth, insertPublishedCell, insertUser, insertWorkEvent } from '../helpers/admin-seed.js';
import { DAY, HOUR, MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { addCell, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

const PASSWORD = 'admin-test-password';
const AUTH = { authorization: basicAuth('admin', PASSWORD) };
const NOW = '2026-03-15T10:00:00.000Z';
const ago = (ms: number) => new Date(Date.parse(NOW) - ms).toISOString();
const discard = { write: () => true };

describe(`GET /admin/data (${backend})`, () => {
  let t: TestApp;
  let users: { a: string; b: string; c: string };
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD } });
    t.clock.set(NOW);
    const db = t.database.db;
    users = { a: await insertUser(db), b: await insertUser(db), c: await insertUser(db) };
    await insertUser(db, { registered: false });
    await insertUser(db, { registered: false });
    const events: [string, string, string, number?][] = [
      // user, worked date, submitted at, actual minutes
      [users.a, '2026-03-14', ago(2 * HOUR), 600],
      [users.b, '2026-03-13', ago(24 * HOUR - MINUTE)],
      [users.a, '2026-03-11', ago(3 * DAY)],
      // 00:30 on 10 March in Berlin: belongs to the 10th there, although it is the 9th in UTC.
      [users.a, '2026-03-09', '2026-03-09T23:30:00.000Z'],
      [users.b, '2026-03-08', ago(6 * DAY)],
      [users.c, '2026-03-06', ago(8 * DAY)],
      // The chart's first day, 14 February, starts at 23:00 UTC on the 13th in Berlin.
      [users.c, '2026-02-13', '2026-02-13T23:00:00.000Z'],
      [users.c, '2026-02-12', '2026-02-13T22:59:59.000Z'],
      [users.c, '2026-02-01', ago(40 * DAY)],
    ];
    for (const [userId, date, createdAt, actual] of events) await insertWorkEvent(db, { userId, date, createdAt, actual });
    await insertPublishedCell(db, '2026-01', 'BE', 'internal_medicine');
    await insertPublishedCell(db, '2026-01', 'BY', 'surgery');
  });
  after(async () => t.close());

  const data = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/data', headers: AUTH });
    assert.equal(res.statusCode, 200);
    return res.json();
  };

  test('totals: users, events, activity in the last 24 hours and 7 days, published cells', async () => {
    const body = await data();
    assert.equal(body.generated_at, NOW);
    assert.deepEqual(body.users, { total: 5, registered: 3, pending: 2 });
    assert.deepEqual(body.work_events, { total: 9, last_24h: 2, last_7d: 5 });
    assert.deepEqual(body.active_users, { last_24h: 2, last_7d: 2 });
    assert.equal(body.published_cells, 2);
    assert.equal(body.last_aggregation, null);
  });

  test('recent submissions: newest first, at most 10, users only as short pseudonyms', async () => {
    const body = await data();
    const recent = body.recent_submissions as { date: string; submitted_at: string; user: string; actual_minutes: number }[];
    assert.deepEqual(
      recent.map((r) => r.date),
      ['2026-03-14', '2026-03-13', '2026-03-11', '2026-03-09', '2026-03-08', '2026-03-06', '2026-02-13', '2026-02-12', '2026-02-01'],
    );
    assert.deepEqual(recent[0], {
      date: '2026-03-14',
      planned_minutes: 480,
      actual_minutes: 600,
      submitted_at: ago(2 * HOUR),
      user: recent[0]!.user,
    });
    for (const r of recent) assert.match(r.user, /^[0-9a-f]{8}$/);
    assert.equal(recent[0]!.user, recent[2]!.user, 'the same user has the same pseudonym');
    assert.notEqual(recent[0]!.user, recent[1]!.user);
    const text = JSON.stringify(body);
    for (const id of Object.values(users)) {
      assert.ok(!text.includes(id), 'no user id');
      assert.ok(!text.includes(`hash-${id}`), 'no e-mail hash');
      assert.ok(!text.includes(id.slice(0, 8)), 'the pseudonym is not a prefix of the id');
    }

    for (let i = 0; i < 3; i++) {
      await insertWorkEvent(t.database.db, { userId: users.c, date: `2026-01-0${i + 1}`, createdAt: ago(MINUTE * (i + 1)) });
    }
    const more = (await data()).recent_submissions as { date: string }[];
    assert.equal(more.length, 10);
    assert.deepEqual(more.slice(0, 4).map((r) => r.date), ['2026-01-01', '2026-01-02', '2026-01-03', '2026-03-14']);
    await t.database.db.deleteFrom('work_events').where('date', '<', '2026-02-01').execute();
  });

  test('submissions per day: 30 calendar days in Europe/Berlin, today last', async () => {
    const days = (await data()).submissions_per_day as { date: string; count: number }[];
    assert.equal(days.length, 30);
    assert.equal(days[0]?.date, '2026-02-14');
    assert.equal(days.at(-1)?.date, '2026-03-15');
    const nonZero = Object.fromEntries(days.filter((d) => d.count > 0).map((d) => [d.date, d.count]));
    assert.deepEqual(nonZero, {
      '2026-02-14': 1,
      '2026-03-07': 1,
      '2026-03-09': 1,
      '2026-03-10': 1,
      '2026-03-12': 1,
      '2026-03-14': 1,
      '2026-03-15': 1,
    });
  });
});

describe(`admin feedback endpoints (${backend})`, () => {
  let t: TestApp;
  const ids: string[] = [];
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD } });
    for (const description of ['first', 'second', 'third']) {
      ids.push((await t.app.services.feedback.submit({ description, app_state: { n: description.length } })).id);
      t.clock.advance(MINUTE);
    }
  });
  after(async () => t.close());

  const list = (query = '') => t.app.inject({ method: 'GET', url: `/admin/feedback${query}`, headers: AUTH });
  const patch = (id: string, payload: unknown) =>
    t.app.inject({ method: 'PATCH', url: `/admin/feedback/${id}`, headers: AUTH, payload: payload as object });

  test('lists reports newest first with counts per status', async () => {
    const res = await list();
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.reports.map((r: { description: string }) => r.description), ['third', 'second', 'first']);
    assert.deepEqual(body.reports[0].app_state, { n: 5 });
    assert.deepEqual(body.counts, { new: 3, resolved: 0, dismissed: 0 });
    const page = (await list('?limit=1&offset=1')).json();
    assert.deepEqual(page.reports.map((r: { description: string }) => r.description), ['second']);
  });

  test('PATCH changes the status, persisted and reflected in the filtered list', async () => {
    t.clock.advance(HOUR);
    const res = await patch(ids[0]!, { status: 'resolved' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'resolved');
    assert.equal(res.json().updated_at, t.clock.now().toISOString());
    assert.notEqual(res.json().created_at, res.json().updated_at);
    await patch(ids[1]!, { status: 'dismissed' });

    const resolved = (await list('?status=resolved')).json();
    assert.deepEqual(resolved.reports.map((r: { id: string }) => r.id), [ids[0]]);
    assert.deepEqual(resolved.counts, { new: 1, resolved: 1, dismissed: 1 });
    const fresh = (await list('?status=new')).json();
    assert.deepEqual(fresh.reports.map((r: { id: string }) => r.id), [ids[2]]);
    const row = await t.database.db.selectFrom('feedback').select('status').where('id', '=', ids[0]!).executeTakeFirst();
    assert.equal(row?.status, 'resolved');

    assert.equal((await patch(ids[0]!, { status: 'new' })).json().status, 'new', 'can be reopened');
  });

  test('PATCH errors: unknown id 404, malformed id, bad status or extra field 422', async () => {
    const unknown = await patch(crypto.randomUUID(), { status: 'resolved' });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), { detail: 'Feedback report not found' });
    for (const [id, payload] of [
      ['not-a-uuid', { status: 'resolved' }],
      [ids[0], { status: 'closed' }],
      [ids[0], {}],
      [ids[0], { status: 'resolved', description: 'rewritten' }],
    ] as const) {
      const res = await patch(id!, payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.equal(typeof res.json().detail, 'string');
    }
    assert.equal((await list('?status=closed')).statusCode, 422);
    assert.equal((await list('?limit=0')).statusCode, 422);
    assert.equal((await list('?offset=99999999999999999999')).statusCode, 422, 'beyond the database integer range');
  });
});

describe(`GET /admin/logs (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info' }, logDestination: discard });
  });
  after(async () => t.close());

  const logs = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/admin/logs${query}`, headers: AUTH });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { records: { level: string; msg: string; fields: Record<string, unknown> }[]; buffered: number; capacity: number };
  };

  test("returns this process's records newest first, filtered by level and text", async () => {
    t.app.log.info({ job: 'aggregation' }, 'aggregation finished: 12 cells published');
    t.app.log.warn({ volume: 'data-7' }, 'disk nearly full');
    t.app.log.error('smtp unreachable');
    const all = await logs('?level=trace');
    assert.deepEqual(all.records.slice(0, 3).map((r) => r.msg), ['smtp unreachable', 'disk nearly full', 'aggregation finished: 12 cells published']);
    assert.deepEqual(all.records[1]?.fields, { volume: 'data-7' });
    assert.equal(all.capacity, 1000);

    assert.deepEqual((await logs('?level=warn')).records.map((r) => r.msg), ['smtp unreachable', 'disk nearly full']);
    // Without a level: warnings and above, what an operator opening the viewer looks for first.
    assert.deepEqual((await logs()).records.map((r) => r.msg), ['smtp unreachable', 'disk nearly full']);
    assert.deepEqual((await logs('?search=DATA-7')).records.map((r) => r.msg), ['disk nearly full']);
    assert.deepEqual((await logs('?search=aggregation&level=info')).records.map((r) => r.msg), [
      'aggregation finished: 12 cells published',
    ]);
    assert.equal((await logs('?limit=1')).records.length, 1);
  });

  test('limit defaults to 200 and may not exceed 1000; unknown levels are refused', async () => {
    for (let i = 0; i < 250; i++) t.app.log.info(`tick ${i}`);
    assert.equal((await logs('?level=info')).records.length, 200);
    assert.equal((await logs('?level=info&limit=1000')).records.length >= 250, true);
    for (const query of ['?limit=1001', '?limit=0', '?level=verbose']) {
      const res = await t.app.inject({ method: 'GET', url: `/admin/logs${query}`, headers: AUTH });
      assert.equal(res.statusCode, 422, query);
    }
  });

  test('nothing sensitive reaches the buffer: credentials, tokens, feedback text', async () => {
    const wrong = basicAuth('admin', 'hunter2-guess');
    await t.app.inject({ method: 'GET', url: '/admin/data', headers: { authorization: wrong } });
    await t.app.inject({
      method: 'POST',
      url: '/feedback',
      headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.secret-token' },
      payload: { description: 'confidential-words from leak-check@example.org' },
    });
    await t.app.inject({ method: 'GET', url: '/healthz?x=1', headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.secret-token' } });
    const buffered = JSON.stringify((await logs('?level=trace&limit=1000')).records);
    for (const secret of ['hunter2', wrong, PASSWORD, AUTH.authorization, 'secret-token', 'confidential-words', 'leak-check']) {
      assert.ok(!buffered.includes(secret), `found ${secret} in the log buffer`);
    }
    const failed = (await logs('?search=admin login failed')).records;
    assert.equal(failed.length, 1, 'failed admin logins are logged, without the password');
    assert.equal(failed[0]?.level, 'warn');
  });

  test('500 anonymous requests do not push a failed admin login out of the viewer', async () => {
    await t.app.inject({ method: 'GET', url: '/admin/data', headers: { authorization: basicAuth('admin', 'flood-guess') } });
    // Each logs two lines (incoming request, request completed): 1000 lines, the whole ordinary buffer.
    for (let i = 0; i < 500; i++) await t.app.inject({ method: 'GET', url: `/nowhere/${i}` });
    assert.ok(!JSON.stringify((await logs('?level=info&limit=1000')).records.slice(0, 900)).includes('admin login failed'));
    assert.equal((await logs('?search=admin login failed&limit=1000')).records.length >= 1, true, 'found by text');
    const warnings = (await logs('?level=warn&limit=1000')).records;
    assert.ok(warnings.some((r) => r.msg === 'admin login failed'), JSON.stringify(warnings.slice(0, 3)));
  });

  test("the dashboard's own polling does not push real records out of the buffer", async () => {
    const before = (await logs('?limit=1000')).buffered;
    for (const url of ['/admin', '/admin/data', '/admin/feedback', '/admin/logs']) {
      await t.app.inject({ method: 'GET', url, headers: AUTH });
    }
    assert.equal((await logs('?limit=1000')).buffered, before);
  });
});

describe(`GET /admin/data: aggregation runs (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD, ...CERTAIN_DISPLAY_ENV } });
    t.clock.set(NOW);
  });
  after(async () => t.close());

  const aggregate = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/aggregate', headers: AUTH });
    assert.equal(res.statusCode, 200, res.body);
    t.clock.advance(DAY);
  };
  const data = async () => (await t.app.inject({ method: 'GET', url: '/admin/data', headers: AUTH })).json();

  test('nothing published yet: no publication, and the runs say why', async () => {
    await aggregate();
    const body = await data();
    assert.equal(body.last_publication, null);
    assert.equal(body.recent_aggregations.length, 1);
    assert.match(body.recent_aggregations[0].message, /^Nothing to publish yet/);
  });

  test('a later no-op run does not hide the run that published; every run keeps its message', async () => {
    await addCell(t.database.db, { period: '2026-01', users: 45 });
    await aggregate();
    await aggregate();
    const body = await data();
    assert.match(body.last_aggregation.message, /^Nothing published\. Nobody counted in .*2026-02/, 'the last run found nothing to publish');
    // February is closed too on 16 March; nobody counted in it, so it stays open for data that may still come.
    assert.deepEqual(body.last_publication.periods, ['2026-01']);
    assert.equal(body.last_publication.cells_published, 1);
    assert.match(body.last_publication.message, /^Success: published 2026-01: 1 cell displayed/);
    assert.deepEqual(
      body.recent_aggregations.map((run: { message: string; started_at: string }) => [run.started_at, run.message.split(/[:.]/)[0]]),
      [
        ['2026-03-17T10:00:00.000Z', 'Nothing published'],
        ['2026-03-16T10:00:00.000Z', 'Success'],
        ['2026-03-15T10:00:00.000Z', 'Nothing to publish yet'],
      ],
      'newest first',
    );
  });
});

describe(`GET /admin page (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD } });
  });
  after(async () => t.close());

  test('HTML with a strict Content-Security-Policy and no caching', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.doesNotMatch(res.body, /(src|href)=["']?(https?:)?\/\//, 'no external resources');
  });
});

describe(`admin pseudonyms (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD } });
  });
  after(async () => t.close());

  test('one user has a different pseudonym on each screen, so a feedback text cannot be tied to their minutes', async () => {
    const { token } = await createRegisteredUser(t);
    const headers = bearer(token);
    for (const date of ['2026-03-10', '2026-03-11']) {
      const res = await t.app.inject({ method: 'POST', url: '/work-events', headers, payload: { date, planned_minutes: 480, actual_minutes: 600 } });
      assert.equal(res.statusCode, 201);
    }
    for (const description of ['I am Dr. Bob, ward 4', 'Still me']) {
      assert.equal((await t.app.inject({ method: 'POST', url: '/feedback', headers, payload: { description } })).statusCode, 201);
    }

    const recent = (await t.app.inject({ method: 'GET', url: '/admin/data', headers: AUTH })).json().recent_submissions as { user: string }[];
    const feedback = (await t.app.inject({ method: 'GET', url: '/admin/feedback', headers: AUTH })).json().reports as { user: string | null }[];
    assert.equal(recent.length, 2);
    assert.equal(feedback.length, 2);
    assert.equal(recent[0]!.user, recent[1]!.user, 'within one screen the user is recognisable');
    assert.equal(feedback[0]!.user, feedback[1]!.user, 'within one screen the user is recognisable');
    assert.match(feedback[0]!.user ?? '', /^[0-9a-f]{8}$/);
    assert.notEqual(recent[0]!.user, feedback[0]!.user, 'the screens do not share a pseudonym');
  });
});
