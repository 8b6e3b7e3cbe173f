import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_STATE_MAX_BYTES } from '../../src/services/feedback.js';
import { EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER } from '../../src/services/scrub.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { insertUser } from '../helpers/admin-seed.js';
import { DAY, HOUR, MINUTE } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';

describe(`POST /feedback (${backend})`, () => {
  let t: TestApp;
  // Each test sends from its own address so that the per-IP limit of one test does not spill into another.
  let nextIp = 1;
  const freshIp = () => `192.0.2.${nextIp++}`;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const send = (payload: unknown, ip = freshIp()) =>
    t.app.inject({ method: 'POST', url: '/feedback', payload: payload as object, remoteAddress: ip });
  const stored = () => t.database.db.selectFrom('feedback').selectAll().orderBy('created_at', 'desc').execute();
  const storedById = async (id: string) => (await t.app.services.feedback.list({ limit: 500, offset: 0 })).reports.find((r) => r.id === id);

  test('accepts a minimal report without login: 201 and stored as new', async () => {
    const before = (await stored()).length;
    const res = await send({ description: 'The week view shows Monday twice.' });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { success: true, message: 'Thank you! Your feedback has been submitted.' });
    const rows = await stored();
    assert.equal(rows.length, before + 1);
    assert.equal(rows[0]?.description, 'The week view shows Monday twice.');
    assert.equal(rows[0]?.status, 'new');
    assert.equal(rows[0]?.user_id, null);
  });

  test('stores the app metadata and the app state as a JSON object', async () => {
    t.clock.advance(MINUTE);
    const appState = { screen: 'calendar', pending_events: 3, flags: { offline: true }, queue: [1, 2] };
    const res = await send({
      description: 'Sync stuck',
      app_version: '1.4.2',
      build_number: '87',
      platform: 'ios',
      device_model: 'iPhone 15',
      os_version: '17.4',
      app_state: appState,
    });
    assert.equal(res.statusCode, 201);
    const { reports } = await t.app.services.feedback.list({ limit: 1, offset: 0 });
    assert.deepEqual(
      { ...reports[0], id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        user: null,
        description: 'Sync stuck',
        app_version: '1.4.2',
        build_number: '87',
        platform: 'ios',
        device_model: 'iPhone 15',
        os_version: '17.4',
        app_state: appState,
        status: 'new',
        created_at: undefined,
        updated_at: undefined,
      },
    );
  });

  test('null for optional fields is accepted and stored as missing', async () => {
    const res = await send({ description: 'x', app_version: null, app_state: null, os_version: null });
    assert.equal(res.statusCode, 201);
  });

  test('a report without text (null, empty or blank description) is stored with an empty description', async () => {
    for (const description of [null, '', '   \n ']) {
      t.clock.advance(MINUTE);
      const res = await send({ description, platform: 'ios' });
      assert.equal(res.statusCode, 201, JSON.stringify(description));
      const [row] = await stored();
      assert.equal(row?.description, '');
      assert.equal(row?.platform, 'ios');
    }
  });

  test('e-mail addresses and phone numbers never reach the database', async () => {
    t.clock.advance(MINUTE);
    const res = await send({
      description: 'Please write to anna.schmidt@charite.de or call 0170 1234567 / +49 30 450 50',
      device_model: 'Pixel of bob@example.org',
      app_state: { login_email: 'anna.schmidt@charite.de', phone_field: '+49 170 1234567' },
    });
    assert.equal(res.statusCode, 201);
    const [row] = await stored();
    assert.equal(row?.description, `Please write to ${EMAIL_PLACEHOLDER} or call ${PHONE_PLACEHOLDER} / ${PHONE_PLACEHOLDER}`);
    assert.equal(row?.device_model, `Pixel of ${EMAIL_PLACEHOLDER}`);
    const everything = JSON.stringify(row);
    assert.ok(!everything.includes('anna.schmidt'), everything);
    assert.ok(!everything.includes('bob@'), everything);
  });

  test('every free-text field is scrubbed, however the contact data is written', async () => {
    t.clock.advance(MINUTE);
    const hidden = 'max@klinik-mu\u0308nchen.de +49\u00a030\u00a012345678';
    const res = await send({
      description: `desc ${hidden}`,
      app_version: `v ${hidden}`,
      build_number: `b ${hidden}`,
      platform: `p ${hidden}`,
      device_model: `Pixel of anna\uff20charite.de 0170\u20131234\u2013567`,
      os_version: `os ${hidden}`,
      app_state: { note: 'anna.schmidt%40charite.de', domain: 'anna@char\u200bite.de' },
    });
    assert.equal(res.statusCode, 201);
    const [row] = await stored();
    const removed = `${EMAIL_PLACEHOLDER} ${PHONE_PLACEHOLDER}`;
    assert.equal(row?.description, `desc ${removed}`);
    assert.equal(row?.app_version, `v ${removed}`);
    assert.equal(row?.build_number, `b ${removed}`);
    assert.equal(row?.platform, `p ${removed}`);
    assert.equal(row?.os_version, `os ${removed}`);
    assert.equal(row?.device_model, `Pixel of ${removed}`);
    assert.deepEqual((await storedById(row!.id))?.app_state, { note: EMAIL_PLACEHOLDER, domain: EMAIL_PLACEHOLDER });
  });

  test('validation: 422 naming the field, nothing stored', async () => {
    const before = (await stored()).length;
    const cases: [unknown, RegExp][] = [
      [{}, /^description: field required$/],
      [{ description: 'a'.repeat(5001) }, /^description: must NOT have more than 5000 characters$/],
      [{ description: 42 }, /^description: must be of type string$/],
      [{ description: 'ok', email: 'a@b.de' }, /^email: unknown field$/],
      [{ description: 'ok', app_version: 'v'.repeat(51) }, /^app_version: /],
      [{ description: 'ok', device_model: 7 }, /^device_model: /],
      [{ description: 'ok', app_state: [1, 2] }, /^app_state: /],
      [{ description: 'ok', app_state: 'state' }, /^app_state: /],
      [{ description: 'ok', app_state: { blob: 'x'.repeat(APP_STATE_MAX_BYTES) } }, /^app_state: must be at most 32 KB/],
      // PostgreSQL cannot store NUL characters (this was a 500 there); SQLite would have kept them.
      [{ description: 'a\u0000b' }, /^description: must not contain NUL characters$/],
      [{ description: 'ok', os_version: '17\u0000' }, /^os_version: must not contain NUL characters$/],
      [{ description: 'ok', app_state: { screen: { name: 'x\u0000' } } }, /^app_state\.screen\.name: must not contain NUL characters$/],
      [{ description: 'ok', app_state: { 'key\u0000': 1 } }, /^app_state: must not contain NUL characters$/],
    ];
    for (const [payload, detail] of cases) {
      const res = await send(payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload).slice(0, 80));
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, before);
  });

  test('5000 characters and an app state of exactly 32 KB are accepted', async () => {
    const padding = APP_STATE_MAX_BYTES - JSON.stringify({ blob: '' }).length;
    const res = await send({ description: 'ä'.repeat(5000), app_state: { blob: 'x'.repeat(padding) } });
    assert.equal(res.statusCode, 201);
  });

  test('at most 10 reports per hour from one address, then 429 with Retry-After', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) assert.equal((await send({ description: `report ${i}` }, ip)).statusCode, 201);
    const refused = await send({ description: 'one more' }, ip);
    assert.equal(refused.statusCode, 429);
    assert.equal(typeof refused.json().detail, 'string');
    assert.equal(refused.headers['retry-after'], String(60 * 60));
    assert.equal((await send({ description: 'another network' })).statusCode, 201);
    t.clock.advance(HOUR);
    assert.equal((await send({ description: 'an hour later' }, ip)).statusCode, 201);
  });
});

describe(`feedback service: linking, erasure, retention (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { FEEDBACK_RETENTION_DAYS: '30' } });
  });
  after(async () => t.close());

  test('a report linked to a user is listed for them and erased with the account', async () => {
    const userId = await insertUser(t.database.db);
    const other = await insertUser(t.database.db);
    const { id } = await t.app.services.feedback.submit({ description: 'linked report' }, userId);
    const { id: anonymousId } = await t.app.services.feedback.submit({ description: 'anonymous report' });
    await t.app.services.feedback.submit({ description: "someone else's" }, other);

    const mine = await t.app.services.feedback.listForUser(userId);
    assert.deepEqual(mine.map((r) => r.id), [id]);
    const { reports } = await t.app.services.feedback.list({ limit: 10, offset: 0 });
    const linked = reports.find((r) => r.id === id);
    assert.match(linked?.user ?? '', /^[0-9a-f]{8}$/, 'operators see a pseudonym');
    assert.ok(!JSON.stringify(reports).includes(userId), 'never the user id itself');

    await t.database.db.deleteFrom('users').where('id', '=', userId).execute();
    const remaining = await t.database.db.selectFrom('feedback').select('id').execute();
    assert.ok(!remaining.some((r) => r.id === id), 'the linked report is gone with the user');
    assert.ok(remaining.some((r) => r.id === anonymousId), 'anonymous reports stay');
    assert.equal(remaining.length, 2);
  });

  test('purgeExpired deletes reports older than FEEDBACK_RETENTION_DAYS, keeps newer ones', async () => {
    await t.database.db.deleteFrom('feedback').execute();
    const service = t.app.services.feedback;
    const { id: old } = await service.submit({ description: 'old' });
    t.clock.advance(10 * DAY);
    const { id: recent } = await service.submit({ description: 'recent' });
    t.clock.advance(20 * DAY);
    assert.equal(await service.purgeExpired(), 0, 'exactly 30 days old is still kept');
    t.clock.advance(1);
    assert.equal(await service.purgeExpired(), 1);
    const ids = (await t.database.db.selectFrom('feedback').select('id').execute()).map((r) => r.id);
    assert.deepEqual(ids, [recent]);
    assert.ok(!ids.includes(old));
    assert.equal(await service.purgeOlderThan(5), 1);
    assert.equal((await t.database.db.selectFrom('feedback').select('id').execute()).length, 0);
  });
});
