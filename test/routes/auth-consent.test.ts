/**
 * Consent is enforced, not only recorded: every door that records consent accepts only the current versions
 * (CURRENT_TERMS_VERSION / CURRENT_PRIVACY_VERSION), which `GET /taxonomy` publishes for clients to read
 * before registering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CONSENT, PROFILE, bearer, createRegisteredUser, uniqueEmail } from '../helpers/auth.js';
import { UserRepository } from '../../src/db/repositories/users.js';
import { normalizeEmail } from '../../src/services/auth.js';
import { backend } from '../helpers/database.js';

const CURRENT = { terms: '2026-09', privacy: '2026-08' };
const CURRENT_CONSENT = { terms_version: CURRENT.terms, privacy_version: CURRENT.privacy };
/** The app's token-less registration body (contract §4.3). */
const APP_PROFILE = { ...PROFILE, hospital_id: 'not_specified', specialty: 'innere_medizin', role_level: 'assistenzarzt' };

describe(`consent to the current versions only (${backend})`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { CURRENT_TERMS_VERSION: CURRENT.terms, CURRENT_PRIVACY_VERSION: CURRENT.privacy } });
  });
  after(async () => t.close());

  /** A signed-in user who has not registered yet. */
  const unregistered = async () => {
    const { auth, tokens } = t.app.services;
    const user = await new UserRepository(t.database.db).findOrCreate(auth.hashEmail(normalizeEmail(uniqueEmail())), t.clock.now());
    return (await tokens.issue(user.id)).token;
  };
  /** Marks an address verified, as `/verification/confirm` does. */
  const verified = async () => {
    const email = uniqueEmail();
    const now = t.clock.now();
    const { EmailVerificationRepository } = await import('../../src/db/repositories/email-verifications.js');
    await new EmailVerificationRepository(t.database.db).mark(
      t.app.services.auth.hashEmail(normalizeEmail(email)),
      now,
      new Date(now.getTime() + 3_600_000),
    );
    return email;
  };
  const socialToken = async () =>
    (await t.app.services.tokens.issueSocialRegistration({ provider: 'apple', subject: `subject-${Math.random()}` })).token;

  /** Every door that records consent, with the consent versions to send. */
  const doors: { name: string; request: (consent: object) => Promise<InjectOptions>; ok: number }[] = [
    {
      name: 'POST /auth/register (Bearer)',
      request: async (consent) => ({ method: 'POST', url: '/auth/register', headers: bearer(await unregistered()), payload: { ...PROFILE, ...consent } }),
      ok: 200,
    },
    {
      name: "POST /auth/register (the app's, token-less)",
      request: async (consent) => ({ method: 'POST', url: '/auth/register', payload: { email: await verified(), ...APP_PROFILE, ...consent } }),
      ok: 201,
    },
    {
      name: 'POST /auth/social/register',
      request: async (consent) => ({
        method: 'POST',
        url: '/auth/social/register',
        payload: { social_registration_token: await socialToken(), ...APP_PROFILE, ...consent },
      }),
      ok: 201,
    },
    {
      name: 'POST /auth/consent',
      request: async (consent) => ({ method: 'POST', url: '/auth/consent', headers: bearer((await createRegisteredUser(t)).token), payload: consent }),
      ok: 200,
    },
  ];

  for (const door of doors) {
    test(`${door.name}: any other version is 422 naming the field and the current version`, async () => {
      for (const [consent, detail] of [
        [{ terms_version: 'bogus', privacy_version: CURRENT.privacy }, `terms_version: must be the current version "${CURRENT.terms}"`],
        [{ terms_version: CURRENT.terms, privacy_version: 'x' }, `privacy_version: must be the current version "${CURRENT.privacy}"`],
        [{ terms_version: '2026-05', privacy_version: '2026-05' }, `terms_version: must be the current version "${CURRENT.terms}"`],
      ] as const) {
        const res = await t.app.inject(await door.request(consent));
        assert.equal(res.statusCode, 422, `${JSON.stringify(consent)}: ${res.body}`);
        assert.deepEqual(res.json(), { detail });
      }
      const accepted = await t.app.inject(await door.request(CURRENT_CONSENT));
      assert.equal(accepted.statusCode, door.ok, accepted.body);
    });
  }

  test('GET /taxonomy publishes the current versions from the configuration', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/taxonomy' });
    assert.deepEqual(res.json().consent_versions, CURRENT);
  });

  test('the defaults are what the app v2.1.x sends', async () => {
    const defaults = await createTestApp();
    try {
      assert.deepEqual((await defaults.app.inject({ method: 'GET', url: '/taxonomy' })).json().consent_versions, {
        terms: CONSENT.terms_version,
        privacy: CONSENT.privacy_version,
      });
    } finally {
      await defaults.close();
    }
  });
});
