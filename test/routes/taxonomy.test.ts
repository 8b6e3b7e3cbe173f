import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CONSENT, bearer, createRegisteredUser } from '../helpers/auth.js';
import { backend } from '../helpers/database.js';

interface Entry {
  code: string;
  de: string;
  en: string;
}

describe(`GET /taxonomy (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test("serves the app's vocabulary with German and English labels", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/taxonomy' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['cache-control'] as string, /public/);
    const body = res.json();
    const codes = (list: Entry[]) => list.map((e) => e.code);
    assert.equal(body.country_code, 'DEU');
    assert.equal(body.not_specified, 'not_specified');
    assert.deepEqual(codes(body.professions), ['physician', 'nurse', 'other']);
    assert.deepEqual(
      body.seniorities.map((s: Entry & { profession: string }) => [s.code, s.profession]),
      [
        ['assistenzarzt', 'physician'],
        ['facharzt', 'physician'],
        ['oberarzt_plus', 'physician'],
        ['pflegefachkraft', 'nurse'],
        ['leitung', 'nurse'],
      ],
    );
    assert.deepEqual(codes(body.department_groups), [
      'innere_medizin',
      'chirurgie',
      'anaesthesiologie_intensiv',
      'notaufnahme',
      'paediatrie',
      'gynaekologie_geburtshilfe',
      'neurologie_psychiatrie',
      'hno_augen_mkg',
      'diagnostik_radiologie',
      'sonstige',
    ]);
    assert.deepEqual(codes(body.states), ['BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV', 'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH']);
    assert.deepEqual(body.states.find((s: Entry) => s.code === 'BY'), { code: 'BY', de: 'Bayern', en: 'Bavaria' });
    assert.deepEqual(body.department_groups[2], {
      code: 'anaesthesiologie_intensiv',
      de: 'Anästhesiologie / Intensivmedizin',
      en: 'Anaesthesiology / ICU',
    });
    // The contract's table (§8.6), each code in exactly one group.
    const groups = new Set(codes(body.department_groups));
    assert.equal(body.specializations.length, 43);
    for (const s of body.specializations) assert.ok(groups.has(s.department_group), s.code);
    assert.deepEqual(
      body.specializations.filter((s: { department_group: string }) => s.department_group === 'diagnostik_radiologie').map((s: Entry) => s.code),
      ['3200', '3300', '3400', 'RD01', 'PA01'],
    );
    for (const list of [body.professions, body.seniorities, body.department_groups, body.specializations, body.states]) {
      const all = codes(list);
      assert.equal(new Set(all).size, all.length, 'codes are unique');
      for (const entry of list) assert.ok(entry.de.length > 0 && entry.en.length > 0, entry.code);
    }
  });

  test('every code it serves is accepted in a profile', async () => {
    const { professions, seniorities, department_groups, specializations, states } = (
      await t.app.inject({ method: 'GET', url: '/taxonomy' })
    ).json();
    const { token } = await createRegisteredUser(t, { registered: false });
    const register = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/auth/register', headers: bearer(token), payload: { ...payload, ...CONSENT } });
    const ok = async (payload: object) => assert.equal((await register(payload)).statusCode, 200, JSON.stringify(payload));
    for (const { code } of professions) await ok({ profession: code });
    for (const { code, profession } of seniorities) await ok({ profession, seniority: code });
    for (const { code } of department_groups) await ok({ profession: 'physician', department_group: code });
    for (const { code, department_group } of specializations) await ok({ profession: 'physician', department_group, specialization_code: code });
    for (const { code } of states) await ok({ profession: 'physician', state_code: code });
  });
});
