import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { FakeClock } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

/** Sunday 2026-11-29, 18:30 in Berlin: when the app first sends the week of Monday 2026-11-23. */
const SUNDAY_EVENING = '2026-11-29T17:30:00Z';

const WEEK_FIELDS = [
  'actual_hours',
  'country_code',
  'department_group',
  'finalized_at',
  'finalized_week_id',
  'hospital_id',
  'hospital_ref_id',
  'planned_hours',
  'profession',
  'role_level',
  'seniority',
  'specialization_code',
  'specialty',
  'state_code',
  'week_end',
  'week_start',
];

describe(`finalized weeks (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock: new FakeClock(SUNDAY_EVENING) });
  });
  after(async () => t.close());

  /** Every answer of this endpoint is checked: the app counts a 200 as a failure and retries forever. */
  const never200 = (res: LightMyRequestResponse) => {
    assert.notEqual(res.statusCode, 200, `POST /finalized-weeks answered 200: ${res.body}`);
    return res;
  };
  const client = (app: TestApp, token: string) => ({
    send: async (payload: unknown) =>
      never200(await app.app.inject({ method: 'POST', url: '/finalized-weeks', headers: bearer(token), payload: payload as object })),
    list: (query = '') => app.app.inject({ method: 'GET', url: `/finalized-weeks${query}`, headers: bearer(token) }),
    me: () => app.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) }),
    event: {
      post: (payload: object) => app.app.inject({ method: 'POST', url: '/work-events', headers: bearer(token), payload }),
      patch: (id: string, payload: object) => app.app.inject({ method: 'PATCH', url: `/work-events/${id}`, headers: bearer(token), payload }),
      delete: (id: string) => app.app.inject({ method: 'DELETE', url: `/work-events/${id}`, headers: bearer(token) }),
    },
  });
  const newUser = async (app = t) => {
    const { token, user } = await createRegisteredUser(app);
    return { ...client(app, token), token, user };
  };
  const storedWeeks = async (userId: string) =>
    t.database.db.selectFrom('finalized_weeks').selectAll().where('user_id', '=', userId).orderBy('week_start').execute();

  test('the first send is 201 with the week and the profile; every repeat is 409 and the first values stay', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const profile = (await me.me()).json();
    const first = await me.send({ week_start: '2026-11-16', planned_hours: 40, actual_hours: 47.5 });
    assert.equal(first.statusCode, 201, first.body);
    const week = first.json();
    assert.deepEqual(Object.keys(week).sort(), WEEK_FIELDS);
    assert.match(week.finalized_week_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...week, finalized_week_id: undefined },
      {
        finalized_week_id: undefined,
        week_start: '2026-11-16',
        week_end: '2026-11-22',
        planned_hours: 40,
        actual_hours: 47.5,
        hospital_id: profile.hospital_id,
        specialty: profile.specialty,
        role_level: profile.role_level,
        state_code: 'BE',
        country_code: 'DEU',
        profession: 'physician',
        seniority: 'assistenzarzt',
        department_group: 'innere_medizin',
        specialization_code: profile.specialization_code,
        hospital_ref_id: 42,
        finalized_at: SUNDAY_EVENING.replace('Z', '.000Z'),
      },
    );

    for (const payload of [
      { week_start: '2026-11-16', planned_hours: 40, actual_hours: 47.5 },
      { week_start: '2026-11-16', planned_hours: 38, actual_hours: 60.25 },
    ]) {
      const repeat = await me.send(payload);
      assert.deepEqual([repeat.statusCode, repeat.json()], [409, { detail: 'Week starting 2026-11-16 has already been finalized.' }]);
    }
    assert.deepEqual((await me.list()).json(), [week]);
    assert.equal((await storedWeeks(me.user.id)).length, 1);
  });

  test('the hours read back exactly as sent, in the 201 answer and from GET', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const hours = [37.33, 40, 0, 168, 12.5, 0.01, 99.99, 167.99, 0.1];
    const mondays = hours.map((_, i) => new Date(Date.UTC(2026, 10, 23 - 7 * i)).toISOString().slice(0, 10));
    for (const [i, h] of hours.entries()) {
      const res = await me.send({ week_start: mondays[i], planned_hours: h, actual_hours: hours[hours.length - 1 - i] });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual([res.json().planned_hours, res.json().actual_hours], [h, hours[hours.length - 1 - i]]);
      // The JSON text itself, as the app parses it: 37.33, not 37.329999999999998.
      assert.match(res.body, new RegExp(`"planned_hours":${h}[,}]`));
    }
    const listed = (await me.list()).json();
    assert.deepEqual(
      listed.map((w: { week_start: string; planned_hours: number; actual_hours: number }) => [w.week_start, w.planned_hours, w.actual_hours]),
      hours.map((h, i) => [mondays[i], h, hours[hours.length - 1 - i]]),
      'newest first, hours as sent',
    );
    // Stored as integer hundredths of an hour.
    assert.deepEqual(
      (await storedWeeks(me.user.id)).find((w) => w.week_start === '2026-11-23')!.planned_centihours,
      3733,
    );
  });

  test('422: not a Monday, not a date, hours out of range, more than two decimals, missing or not numbers, before 2020', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const valid = { week_start: '2026-11-16', planned_hours: 40, actual_hours: 45 };
    const cases: [object, string][] = [
      [{ ...valid, week_start: '2026-11-17' }, 'week_start: must be a Monday; 2026-11-17 is a Tuesday'],
      [{ ...valid, week_start: '2026-11-22' }, 'week_start: must be a Monday; 2026-11-22 is a Sunday'],
      [{ ...valid, week_start: '2026-02-30' }, 'week_start: must be a valid date'],
      [{ ...valid, week_start: '2026-11-16T00:00:00Z' }, 'week_start: must be a valid date'],
      [{ ...valid, week_start: '16.11.2026' }, 'week_start: must be a valid date'],
      [{ ...valid, planned_hours: -0.01 }, 'planned_hours: must be >= 0'],
      [{ ...valid, actual_hours: 168.01 }, 'actual_hours: must be <= 168'],
      [{ ...valid, actual_hours: 37.333 }, 'actual_hours: must have at most two decimals'],
      [{ ...valid, planned_hours: 0.001 }, 'planned_hours: must have at most two decimals'],
      [{ week_start: '2026-11-16', planned_hours: 40 }, 'actual_hours: field required'],
      [{ week_start: '2026-11-16', actual_hours: 40 }, 'planned_hours: field required'],
      [{ week_start: '2026-11-16' }, 'planned_hours: field required'],
      [{ ...valid, actual_hours: '40' }, 'actual_hours: must be of type number'],
      [{ ...valid, planned_hours: null }, 'planned_hours: must be of type number'],
      // A week ending before 2020-01-01, the first day daily work events accept.
      [{ ...valid, week_start: '2019-12-23' }, 'week_start: the week must end on 2020-01-01 or later'],
      // 422 comes before 400: a future Tuesday is not a Monday first.
      [{ ...valid, week_start: '2027-01-05' }, 'week_start: must be a Monday; 2027-01-05 is a Tuesday'],
    ];
    for (const [payload, detail] of cases) {
      const res = await me.send(payload);
      assert.equal(res.statusCode, 422, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(typeof res.json().detail, 'string');
      assert.equal(res.json().detail, detail, `${JSON.stringify(payload)}: ${res.json().detail}`);
    }
    assert.equal((await storedWeeks(me.user.id)).length, 0, 'nothing stored by a refused send');
    // The week that ends in 2020 is accepted; the valid body still works after all refusals.
    assert.equal((await me.send({ ...valid, week_start: '2019-12-30' })).statusCode, 201);
    assert.equal((await me.send(valid)).statusCode, 201);
  });

  test('400 for a week that ends after today; a week ending today is accepted', async () => {
    // Saturday 2026-11-28, noon in Berlin: the week of 2026-11-23 ends tomorrow.
    t.clock.set('2026-11-28T11:00:00Z');
    const me = await newUser();
    for (const week_start of ['2026-11-23', '2026-11-30', '2030-01-07']) {
      const res = await me.send({ week_start, planned_hours: 40, actual_hours: 40 });
      assert.deepEqual([res.statusCode, res.json()], [400, { detail: 'Only weeks ending today or earlier can be finalized.' }], week_start);
    }
    assert.equal((await me.send({ week_start: '2026-11-16', planned_hours: 40, actual_hours: 40 })).statusCode, 201);
    t.clock.set('2026-11-29T11:00:00Z');
    assert.equal((await me.send({ week_start: '2026-11-23', planned_hours: 40, actual_hours: 40 })).statusCode, 201, 'ends today');
  });

  test('"today" is the date in TIMEZONE, on both sides of midnight', async () => {
    const send = async (app: TestApp, instant: string, week_start: string) => {
      app.clock.set(instant);
      return (await (await newUser(app)).send({ week_start, planned_hours: 40, actual_hours: 41 })).statusCode;
    };
    // Europe/Berlin (the default; UTC+1 in November).
    assert.equal(await send(t, '2026-11-29T17:30:00Z', '2026-11-23'), 201, 'Sunday 18:30 Berlin: the app sends the week');
    assert.equal(await send(t, '2026-11-29T22:30:00Z', '2026-11-23'), 201, 'Sunday 23:30 Berlin');
    assert.equal(await send(t, '2026-11-29T23:30:00Z', '2026-11-23'), 201, 'Monday 00:30 Berlin');
    assert.equal(await send(t, '2026-11-29T23:30:00Z', '2026-11-30'), 400, 'Monday 00:30 Berlin: that week has just begun');
    // Saturday 23:30 UTC is already Sunday 00:30 in Berlin.
    assert.equal(await send(t, '2026-11-28T23:30:00Z', '2026-11-23'), 201, 'Sunday 00:30 Berlin');
    assert.equal(await send(t, '2026-11-28T22:30:00Z', '2026-11-23'), 400, 'Saturday 23:30 Berlin');

    const utc = await createTestApp({ env: { TIMEZONE: 'UTC' }, clock: new FakeClock(SUNDAY_EVENING) });
    try {
      assert.equal(await send(utc, '2026-11-28T23:30:00Z', '2026-11-23'), 400, 'Saturday 23:30 UTC');
      assert.equal(await send(utc, '2026-11-29T00:00:00Z', '2026-11-23'), 201, 'Sunday 00:00 UTC');
      assert.equal(await send(utc, '2026-11-29T23:30:00Z', '2026-11-30'), 400, 'Sunday 23:30 UTC');
    } finally {
      await utc.close();
    }
  });

  test('20 simultaneous sends of one week: exactly one 201, nineteen 409, one row', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => me.send({ week_start: '2026-11-23', planned_hours: 40, actual_hours: 40 + i })),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [201, ...Array<number>(19).fill(409)]);
    const created = answers.find((r) => r.statusCode === 201)!.json();
    const rows = await storedWeeks(me.user.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.actual_centihours, created.actual_hours * 100, 'the stored values are those of the 201');
  });

  test('the profile is a snapshot: a later profile change leaves stored weeks alone', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const before = (await me.send({ week_start: '2026-11-16', planned_hours: 40, actual_hours: 50 })).json();
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/auth/me',
      headers: bearer(me.token),
      payload: { state_code: 'BY', department_group: 'chirurgie', hospital_ref_id: 7 },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.deepEqual((await me.list()).json(), [before]);
    assert.deepEqual([before.state_code, before.department_group, before.hospital_ref_id], ['BE', 'innere_medizin', 42]);
    const after = (await me.send({ week_start: '2026-11-23', planned_hours: 40, actual_hours: 50 })).json();
    assert.deepEqual([after.state_code, after.department_group, after.hospital_ref_id], ['BY', 'chirurgie', 7]);
  });

  test("GET lists only the user's own weeks, newest first, with limit and offset", async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const other = await newUser();
    for (const week_start of ['2026-11-02', '2026-11-16', '2026-11-09']) {
      assert.equal((await me.send({ week_start, planned_hours: 40, actual_hours: 40 })).statusCode, 201);
    }
    assert.equal((await other.send({ week_start: '2026-11-23', planned_hours: 10, actual_hours: 10 })).statusCode, 201);
    const starts = async (query: string) => (await me.list(query)).json().map((w: { week_start: string }) => w.week_start);
    assert.deepEqual(await starts(''), ['2026-11-16', '2026-11-09', '2026-11-02']);
    assert.deepEqual(await starts('?limit=1&offset=1'), ['2026-11-09']);
    assert.deepEqual(await starts('?offset=3'), []);
    assert.deepEqual((await other.list()).json().map((w: { week_start: string }) => w.week_start), ['2026-11-23']);
    for (const query of ['?limit=0', '?limit=1001', '?offset=-1', '?limit=x', '?color=red']) {
      const res = await me.list(query);
      assert.equal(res.statusCode, 422, query);
      assert.equal(typeof res.json().detail, 'string');
    }
  });

  test('the days of a finalized week can no longer be created, changed or deleted through /work-events', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const other = await newUser();
    const day = async (date: string) => {
      const res = await me.event.post({ date, planned_minutes: 480, actual_minutes: 500 });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    const inside = await day('2026-11-18');
    const before = await day('2026-11-15');
    const afterWeek = await day('2026-11-23');
    assert.equal((await me.send({ week_start: '2026-11-16', planned_hours: 40, actual_hours: 41 })).statusCode, 201);

    const locked = { detail: 'The week starting 2026-11-16 has been finalized; its days can no longer be changed.' };
    for (const date of ['2026-11-16', '2026-11-18', '2026-11-22']) {
      const res = await me.event.post({ date, planned_minutes: 480, actual_minutes: 500 });
      assert.deepEqual([res.statusCode, res.json()], [409, locked], date);
    }
    const patched = await me.event.patch(inside, { actual_minutes: 600 });
    assert.deepEqual([patched.statusCode, patched.json()], [409, locked]);
    const deleted = await me.event.delete(inside);
    assert.deepEqual([deleted.statusCode, deleted.json()], [409, locked]);
    const stored = await t.database.db.selectFrom('work_events').selectAll().where('id', '=', inside).executeTakeFirstOrThrow();
    assert.equal(stored.actual_minutes, 500, 'the locked day is unchanged');

    // The days around the week, and another user's same days, stay open.
    assert.equal((await me.event.patch(before, { actual_minutes: 600 })).statusCode, 200);
    assert.equal((await me.event.delete(afterWeek)).statusCode, 204);
    assert.equal((await me.event.post({ date: '2026-11-24', planned_minutes: 0, actual_minutes: 0 })).statusCode, 201);
    assert.equal((await other.event.post({ date: '2026-11-18', planned_minutes: 0, actual_minutes: 0 })).statusCode, 201);
    // An unknown event is still 404, not 409.
    assert.equal((await me.event.delete('00000000-0000-4000-8000-000000000000')).statusCode, 404);
  });

  test('the weeks are in the data export and are erased with the account', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    await me.send({ week_start: '2026-11-09', planned_hours: 40, actual_hours: 44.25 });
    await me.send({ week_start: '2026-11-16', planned_hours: 38.5, actual_hours: 39 });
    const exported = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(me.token) });
    assert.equal(exported.statusCode, 200);
    assert.deepEqual(exported.json().finalized_weeks, (await me.list()).json());
    assert.equal(exported.json().finalized_weeks.length, 2);

    const deleted = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(me.token) });
    assert.equal(deleted.statusCode, 204);
    assert.deepEqual(await storedWeeks(me.user.id), []);
  });

  test('401 without a token (whatever the body), 403 before registration is complete', async () => {
    t.clock.set(SUNDAY_EVENING);
    for (const payload of [{ week_start: '2026-11-16', planned_hours: 40, actual_hours: 40 }, { nonsense: true }]) {
      const res = never200(await t.app.inject({ method: 'POST', url: '/finalized-weeks', payload }));
      assert.deepEqual([res.statusCode, typeof res.json().detail], [401, 'string']);
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/finalized-weeks' })).statusCode, 401);
    const { token, user } = await createRegisteredUser(t, { registered: false });
    const unregistered = client(t, token);
    const res = await unregistered.send({ week_start: '2026-11-16', planned_hours: 40, actual_hours: 40 });
    assert.deepEqual([res.statusCode, typeof res.json().detail], [403, 'string']);
    assert.equal((await unregistered.list()).statusCode, 403);
    assert.deepEqual(await storedWeeks(user.id), []);
  });

  test('unknown body fields are ignored, as the original server did', async () => {
    t.clock.set(SUNDAY_EVENING);
    const me = await newUser();
    const res = await me.send({ week_start: '2026-11-16', planned_hours: 40, actual_hours: 40, week_end: '2026-11-22', client: 'x' });
    assert.equal(res.statusCode, 201, res.body);
  });

  test('documented under the tag "app", with 201 and 409 and no 200', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = doc.paths['/finalized-weeks'].post;
    assert.deepEqual(post.tags, ['app']);
    assert.ok(post.description.includes('never 200'));
    assert.ok('201' in post.responses && '409' in post.responses && !('200' in post.responses));
    assert.deepEqual(doc.paths['/finalized-weeks'].get.tags, ['app']);
  });
});
