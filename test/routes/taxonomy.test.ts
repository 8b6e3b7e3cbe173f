import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

describe(`GET /taxonomy (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('serves the 16 states, the specialties and the role levels with German and English labels', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/taxonomy' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['cache-control'] as string, /public/);
    const { states, specialties, role_levels } = res.json();
    assert.deepEqual(
      states.map((s: { code: string }) => s.code),
      ['BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV', 'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH'],
    );
    assert.deepEqual(states.find((s: { code: string }) => s.code === 'BY'), { code: 'BY', de: 'Bayern', en: 'Bavaria' });
    assert.ok(specialties.length >= 25 && specialties.length <= 40, `${specialties.length} specialties`);
    for (const list of [states, specialties, role_levels]) {
      const codes = list.map((e: { code: string }) => e.code);
      assert.equal(new Set(codes).size, codes.length, 'codes are unique');
      for (const entry of list) {
        assert.deepEqual(Object.keys(entry).sort(), ['code', 'de', 'en']);
        assert.ok(entry.de.length > 0 && entry.en.length > 0);
      }
    }
    for (const entry of [...specialties, ...role_levels]) assert.match(entry.code, /^[a-z]+(_[a-z]+)*$/, 'snake_case codes');
    const roles = role_levels.map((r: { code: string }) => r.code);
    for (const role of ['assistenzarzt', 'facharzt', 'oberarzt', 'chefarzt']) assert.ok(roles.includes(role), role);
  });

  test('every code it serves is accepted in a profile', async () => {
    const { specialties, role_levels } = (await t.app.inject({ method: 'GET', url: '/taxonomy' })).json();
    const { token } = await createRegisteredUser(t, { registered: false });
    const patch = (payload: object) => t.app.inject({ method: 'PATCH', url: '/auth/me', headers: bearer(token), payload });
    for (const { code } of specialties) assert.equal((await patch({ specialty: code })).statusCode, 200, code);
    for (const { code } of role_levels) assert.equal((await patch({ role_level: code })).statusCode, 200, code);
  });
});
