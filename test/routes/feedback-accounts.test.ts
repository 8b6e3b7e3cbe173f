/** Feedback from a signed-in doctor belongs to their account: exported with it and erased with it. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

describe(`feedback linked to accounts (${backend})`, () => {
  let t: TestApp;
  const lines: string[] = [];
  before(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'info' }, logDestination: { write: (line: string) => lines.push(line) } });
  });
  after(async () => t.close());

  const countFeedback = async (userId: string | null) => {
    let query = t.database.db.selectFrom('feedback').select(t.database.db.fn.countAll<number>().as('n'));
    query = userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', userId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };

  test('a signed-in report is linked, exported, and erased with the account', async () => {
    const { token, user } = await createRegisteredUser(t);
    const sent = await t.app.inject({
      method: 'POST',
      url: '/feedback',
      headers: bearer(token),
      payload: { description: 'Export button does nothing', app_version: '1.4.0', app_state: { screen: 'export' } },
    });
    assert.equal(sent.statusCode, 201);
    assert.equal(await countFeedback(user.id), 1);

    const exported = await t.app.inject({ method: 'GET', url: '/auth/me/export', headers: bearer(token) });
    assert.equal(exported.statusCode, 200);
    const reports = exported.json().feedback_reports;
    assert.equal(reports.length, 1);
    assert.equal(reports[0].description, 'Export button does nothing');
    assert.deepEqual(reports[0].app_state, { screen: 'export' });
    assert.equal(reports[0].user_id, undefined);

    const anonymousBefore = await countFeedback(null);
    const erased = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(token) });
    assert.equal(erased.statusCode, 204);
    assert.equal(await countFeedback(user.id), 0, 'the linked report is gone');
    assert.equal(await countFeedback(null), anonymousBefore, 'anonymous reports stay');

    const logged = lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'account erased');
    assert.equal(logged?.user_id, user.id, 'the erasure is logged with the pseudonymous id for backup restores');
    assert.doesNotMatch(lines.join('\n'), new RegExp(user.email_hash), 'never the e-mail hash');
  });

  test('without a token the report is anonymous; an invalid token is refused', async () => {
    const before = await countFeedback(null);
    const anonymous = await t.app.inject({ method: 'POST', url: '/feedback', payload: { description: 'Anonymous note' } });
    assert.equal(anonymous.statusCode, 201);
    assert.equal(await countFeedback(null), before + 1);

    const invalid = await t.app.inject({
      method: 'POST',
      url: '/feedback',
      headers: bearer('not.a.token'),
      payload: { description: 'Should not be stored' },
    });
    assert.equal(invalid.statusCode, 401);
    assert.equal(await countFeedback(null), before + 1, 'nothing stored from a refused request');
  });
});
