import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { HOUR } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

// The fake clock starts at 2026-03-15T10:00:00Z: "today" is 2026-03-15 in Berlin.
const EVENT_FIELDS = ['actual_minutes', 'created_at', 'date', 'id', 'planned_minutes', 'updated_at'];

describe(`work events (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const as = (token: string) => ({
    post: (payload: unknown) => t.app.inject({ method: 'POST', url: '/work-events', headers: bearer(token), payload: payload as object }),
    list: (query = '') => t.app.inject({ method: 'GET', url: `/work-events${query}`, headers: bearer(token) }),
    patch: (id: string, payload: unknown) =>
      t.app.inject({ method: 'PATCH', url: `/work-events/${id}`, headers: bearer(token), payload: payload as object }),
    delete: (id: string) => t.app.inject({ method: 'DELETE', url: `/work-events/${id}`, headers: bearer(token) }),
  });
  const newUser = async () => as((await createRegisteredUser(t)).token);
  const rowCount = async (date: string) =>
    Number(
      (await t.database.db.selectFrom('work_events').select((eb) => eb.fn.countAll().as('n')).where('date', '=', date).executeTakeFirstOrThrow()).n,
    );

  test('a confirmed past day is stored and listed', async () => {
    const me = await newUser();
    const res = await me.post({ date: '2026-03-10', planned_minutes: 480, actual_minutes: 615 });
    assert.equal(res.statusCode, 201);
    const event = res.json();
    assert.deepEqual(Object.keys(event).sort(), EVENT_FIELDS);
    assert.deepEqual(
      { ...event, id: undefined },
      {
        id: undefined,
        date: '2026-03-10',
        planned_minutes: 480,
        actual_minutes: 615,
        created_at: t.clock.now().toISOString(),
        updated_at: t.clock.now().toISOString(),
      },
    );
    assert.deepEqual((await me.list()).json(), [event]);
  });

  test('date: a real YYYY-MM-DD calendar day from 2020-01-01, before today', async () => {
    const me = await newUser();
    const post = (date: unknown) => me.post({ date, planned_minutes: 480, actual_minutes: 480 });
    for (const date of ['2026-02-30', '2026-2-3', '', '2026-13-01', '2025-02-29', '03/01/2026', '2026-03-01T00:00:00Z']) {
      const res = await post(date);
      assert.deepEqual([res.statusCode, res.json().detail], [422, 'date: must be a valid date'], JSON.stringify(date));
    }
    for (const [date, detail] of [
      [20260301, 'date: must be of type string'],
      [null, 'date: must be of type string'],
    ] as const) {
      const res = await post(date);
      assert.deepEqual([res.statusCode, res.json().detail], [422, detail], JSON.stringify(date));
    }
    const early = await post('2019-12-31');
    assert.deepEqual([early.statusCode, early.json().detail], [422, 'date: must be 2020-01-01 or later']);
    assert.equal((await post('2020-01-01')).statusCode, 201);
    assert.equal((await post('2024-02-29')).statusCode, 201, 'a leap day');
    assert.equal((await post('2026-03-14')).statusCode, 201, 'yesterday');
    const today = await post('2026-03-15');
    assert.equal(today.statusCode, 422);
    assert.equal(today.json().detail, 'date: only past days can be confirmed; 2026-03-15 is today (today is 2026-03-15 in Europe/Berlin)');
    const future = await post('2027-01-01');
    assert.equal(future.statusCode, 422);
    assert.match(future.json().detail, /^date: only past days can be confirmed; 2027-01-01 is in the future/);
  });

  test('minutes: integers from 0 to 1440; anything else is 422 naming the field', async () => {
    const me = await newUser();
    const valid = { date: '2026-03-01', planned_minutes: 480, actual_minutes: 600 };
    const cases: [unknown, string][] = [
      [{ ...valid, planned_minutes: 1441 }, 'planned_minutes: must be <= 1440'],
      [{ ...valid, actual_minutes: -1 }, 'actual_minutes: must be >= 0'],
      [{ ...valid, actual_minutes: 480.5 }, 'actual_minutes: must be an integer'],
      [{ ...valid, planned_minutes: '480' }, 'planned_minutes: must be an integer'],
      [{ ...valid, planned_minutes: null }, 'planned_minutes: must be an integer'],
      [{ date: valid.date, planned_minutes: 480 }, 'actual_minutes: field required'],
      [{ planned_minutes: 480, actual_minutes: 600 }, 'date: field required'],
      [{ ...valid, note: 'night shift' }, 'note: unknown field'],
      [[valid], 'body: must be of type object'],
    ];
    for (const [payload, detail] of cases) {
      const res = await me.post(payload);
      assert.deepEqual([res.statusCode, res.json().detail], [422, detail], JSON.stringify(payload));
    }
    assert.equal((await me.list()).json().length, 0, 'nothing was stored');
    assert.equal((await me.post({ ...valid, planned_minutes: 0, actual_minutes: 1440 })).statusCode, 201, 'the bounds');
  });

  test('"today" is the date in TIMEZONE, not in UTC', async () => {
    const me = await newUser();
    // 23:30 UTC on the last day of March is already 1 April, 01:30 in Berlin (summer time).
    t.clock.set('2026-03-31T23:30:00Z');
    try {
      assert.equal((await me.post({ date: '2026-03-31', planned_minutes: 480, actual_minutes: 480 })).statusCode, 201);
      const today = await me.post({ date: '2026-04-01', planned_minutes: 480, actual_minutes: 480 });
      assert.equal(today.statusCode, 422);
      assert.match(today.json().detail, /today is 2026-04-01 in Europe\/Berlin/);
      // The same in winter time: 23:30 UTC on 31 January is 00:30 on 1 February in Berlin.
      t.clock.set('2026-01-31T23:30:00Z');
      assert.equal((await me.post({ date: '2026-01-31', planned_minutes: 480, actual_minutes: 480 })).statusCode, 201);
    } finally {
      t.clock.set('2026-03-15T10:00:00Z');
    }
  });

  test('a retry of the same day answers 200 with the stored event; different minutes are 409', async () => {
    const me = await newUser();
    const day = { date: '2026-03-02', planned_minutes: 480, actual_minutes: 540 };
    const first = await me.post(day);
    assert.equal(first.statusCode, 201);
    t.clock.advance(HOUR);
    const retry = await me.post(day);
    assert.equal(retry.statusCode, 200);
    assert.deepEqual(retry.json(), first.json(), 'the stored event, unchanged');
    const other = await me.post({ ...day, actual_minutes: 600 });
    assert.equal(other.statusCode, 409);
    assert.deepEqual(other.json(), {
      detail:
        `A work event for 2026-03-02 already exists with different minutes (id ${first.json().id}). ` +
        `Change it with PATCH /work-events/${first.json().id} or delete it first.`,
      // A client can correct the stored event without parsing the sentence.
      event_id: first.json().id,
    });
    assert.equal((await me.list()).json().length, 1);
  });

  test('twenty identical submissions at once: one row, one 201, nineteen 200', async () => {
    const me = await newUser();
    const day = { date: '2026-03-03', planned_minutes: 480, actual_minutes: 700 };
    const before = await rowCount('2026-03-03');
    const results = await Promise.all(Array.from({ length: 20 }, () => me.post(day)));
    const statuses = results.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 200).length, 19, statuses.join(','));
    assert.equal(new Set(results.map((r) => r.json().id)).size, 1, 'all answers show the one stored event');
    assert.equal(await rowCount('2026-03-03'), before + 1);
  });

  test("users see and touch only their own events: someone else's id is 404 like an unknown one", async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const { id } = (await owner.post({ date: '2026-03-04', planned_minutes: 480, actual_minutes: 480 })).json();
    assert.deepEqual((await stranger.list()).json(), []);
    for (const missing of [id, randomUUID()]) {
      const patch = await stranger.patch(missing, { actual_minutes: 1 });
      const del = await stranger.delete(missing);
      for (const res of [patch, del]) assert.deepEqual([res.statusCode, res.json()], [404, { detail: 'Work event not found' }]);
    }
    const own = (await owner.list()).json();
    assert.equal(own[0].actual_minutes, 480, 'the event is untouched');
    assert.equal(own.length, 1);
    // `urn:uuid:` passes a generic uuid check but not PostgreSQL's uuid type: it was a 500 there.
    for (const bad of ['not-a-uuid', '123', `${id}x`, `urn:uuid:${id}`, `{${id}}`]) {
      const res = await owner.patch(bad, { actual_minutes: 1 });
      assert.deepEqual([res.statusCode, res.json().detail], [422, 'id: must be a valid uuid'], bad);
      assert.equal((await owner.delete(bad)).statusCode, 422);
    }
  });

  test('paging and date ranges: newest first, limit (default 100, at most 1000), offset, inclusive range', async () => {
    const me = await newUser();
    const dates = Array.from({ length: 12 }, (_, i) => `2026-02-${String(i + 1).padStart(2, '0')}`);
    // Submitted out of order: the list is ordered by date, not by submission.
    for (const date of [...dates].reverse().filter((_, i) => i % 2 === 0).concat(dates.filter((_, i) => i % 2 === 0))) {
      await me.post({ date, planned_minutes: 480, actual_minutes: 480 });
    }
    const all = (await me.list()).json().map((e: { date: string }) => e.date);
    assert.deepEqual(all, [...dates].reverse());
    const page = async (query: string) => (await me.list(query)).json().map((e: { date: string }) => e.date);
    assert.deepEqual(await page('?limit=5'), ['2026-02-12', '2026-02-11', '2026-02-10', '2026-02-09', '2026-02-08']);
    assert.deepEqual(await page('?limit=5&offset=10'), ['2026-02-02', '2026-02-01']);
    assert.deepEqual(await page('?offset=12'), []);
    assert.deepEqual(await page('?start_date=2026-02-03&end_date=2026-02-05'), ['2026-02-05', '2026-02-04', '2026-02-03']);
    assert.deepEqual(await page('?start_date=2026-02-11'), ['2026-02-12', '2026-02-11']);
    assert.deepEqual(await page('?end_date=2026-02-01'), ['2026-02-01']);
    assert.deepEqual(await page('?start_date=2026-02-05&end_date=2026-02-05'), ['2026-02-05']);
    // X-Total-Count: the events matching the date range, whatever the page.
    for (const [query, total] of [['', '12'], ['?limit=5&offset=10', '12'], ['?offset=12', '12'], ['?start_date=2026-02-03&end_date=2026-02-05&limit=1', '3']]) {
      assert.equal((await me.list(query)).headers['x-total-count'], total, query);
    }
    assert.equal((await (await newUser()).list()).headers['x-total-count'], '0', 'counts only the user\'s own events');
    assert.equal((await me.list('?limit=1000')).statusCode, 200);
    for (const [query, detail] of [
      ['?limit=1001', /^limit: /],
      ['?limit=0', /^limit: /],
      ['?limit=ten', /^limit: /],
      ['?offset=-1', /^offset: /],
      // Beyond the databases' integer range: refused here rather than failing in the database (was a 500).
      ['?offset=99999999999999999999', /^offset: must be <= 1000000000$/],
      ['?start_date=2026-02-31', /^start_date: must be a valid date$/],
      ['?start_date=2026-02-06&end_date=2026-02-05', /^start_date must not be after end_date$/],
      ['?from=2026-02-01', /^from: unknown field$/],
    ] as const) {
      const res = await me.list(query);
      assert.equal(res.statusCode, 422, query);
      assert.match(res.json().detail, detail, query);
    }
  });

  test('the default page holds 100 events', async () => {
    const { user, token } = await createRegisteredUser(t);
    const rows = Array.from({ length: 101 }, (_, i) => {
      const date = new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10);
      return { id: randomUUID(), user_id: user.id, date, planned_minutes: 480, actual_minutes: 480, created_at: t.clock.now().toISOString() };
    });
    await t.database.db.insertInto('work_events').values(rows).execute();
    assert.equal((await as(token).list()).json().length, 100);
    assert.equal((await as(token).list('?limit=1000')).json().length, 101);
  });

  test('PATCH corrects minutes but never the date; DELETE removes the event', async () => {
    const { token } = await createRegisteredUser(t);
    const me = as(token);
    const created = (await me.post({ date: '2026-03-05', planned_minutes: 480, actual_minutes: 500 })).json();
    t.clock.advance(HOUR);
    const patched = await me.patch(created.id, { actual_minutes: 720 });
    assert.equal(patched.statusCode, 200);
    assert.deepEqual(patched.json(), { ...created, actual_minutes: 720, updated_at: t.clock.now().toISOString() });
    assert.deepEqual((await me.patch(created.id, { planned_minutes: 450, actual_minutes: 730 })).json().planned_minutes, 450);

    for (const [payload, detail] of [
      [{}, 'Nothing to update: send planned_minutes and/or actual_minutes'],
      [{ date: '2026-03-06' }, 'date: cannot be changed; delete the event and create it again for the other day'],
      [{ date: '2026-03-06', actual_minutes: 1 }, 'date: cannot be changed; delete the event and create it again for the other day'],
      [{ actual_minutes: 1441 }, 'actual_minutes: must be <= 1440'],
      [{ planned_minutes: null }, 'planned_minutes: must be an integer'],
      [{ id: randomUUID() }, 'id: unknown field'],
    ] as const) {
      const res = await me.patch(created.id, payload);
      assert.deepEqual([res.statusCode, res.json().detail], [422, detail], JSON.stringify(payload));
    }
    assert.equal((await me.list()).json()[0].actual_minutes, 730, 'refused changes changed nothing');
    assert.equal((await me.post({ date: '2026-03-05', planned_minutes: 480, actual_minutes: 500 })).statusCode, 409, 'the old values are a conflict now');

    const deleted = await me.delete(created.id);
    assert.equal(deleted.statusCode, 204);
    assert.equal(deleted.body, '');
    assert.equal((await me.delete(created.id)).statusCode, 404);
    assert.deepEqual((await me.list()).json(), []);
    const again = await me.post({ date: '2026-03-05', planned_minutes: 480, actual_minutes: 500 });
    assert.equal(again.statusCode, 201, 'the day can be confirmed again after deleting');
    assert.notEqual(again.json().id, created.id);

    // Many HTTP clients send Content-Type: application/json on every request, a bodiless DELETE included.
    const jsonDelete = await t.app.inject({
      method: 'DELETE',
      url: `/work-events/${again.json().id}`,
      headers: { ...bearer(token), 'content-type': 'application/json', 'content-length': '0' },
    });
    assert.equal(jsonDelete.statusCode, 204, jsonDelete.body);
  });

  test('an id in upper case names the same event, on both databases', async () => {
    const me = await newUser();
    const { id } = (await me.post({ date: '2025-07-19', planned_minutes: 480, actual_minutes: 500 })).json();
    const patched = await me.patch(id.toUpperCase(), { actual_minutes: 510 });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().id, id);
    assert.equal((await me.delete(id.toUpperCase())).statusCode, 204);
    assert.equal(await rowCount('2025-07-19'), 0);
  });

  test('a token is required (401) and a completed registration (403), before the body is looked at', async () => {
    const requests = [
      { method: 'POST' as const, url: '/work-events', payload: { nonsense: true } },
      { method: 'GET' as const, url: '/work-events?limit=-5' },
      { method: 'PATCH' as const, url: '/work-events/not-a-uuid', payload: {} },
      { method: 'DELETE' as const, url: `/work-events/${randomUUID()}` },
    ];
    const { token } = await createRegisteredUser(t, { registered: false });
    for (const request of requests) {
      const anonymous = await t.app.inject(request);
      assert.equal(anonymous.statusCode, 401, `${request.method} ${request.url}`);
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
      const unregistered = await t.app.inject({ ...request, headers: bearer(token) });
      assert.deepEqual([unregistered.statusCode, unregistered.json()], [403, { detail: 'Registration required' }]);
    }
  });

  test('events appear in the data export and disappear with the account', async () => {
    const { token, user } = await createRegisteredUser(t);
    const me = as(token);
    const event = (await me.post({ date: '2026-03-06', planned_minutes: 480, actual_minutes: 510 })).json();
    t.clock.advance(HOUR);
    const patched = (await me.patch(event.id, { actual_minutes: 520 })).json();
    const exported = (await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) })).json();
    assert.deepEqual(exported.work_events, [patched]);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(token) })).statusCode, 204);
    const left = await t.database.db.selectFrom('work_events').selectAll().where('user_id', '=', user.id).execute();
    assert.deepEqual(left, []);
  });
});
