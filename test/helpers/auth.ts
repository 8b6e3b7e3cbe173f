/**
 * Signed-in users for tests. `signInByEmail` goes through the real flow (code request, SMTP delivery, verify);
 * `createRegisteredUser` makes a registered user and token directly through the services, for tests about
 * something else that need many users quickly.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { UserRepository } from '../../src/db/repositories/users.js';
import type { User } from '../../src/db/schema.js';
import type { ProfileInput } from '../../src/services/profile.js';
import { normalizeEmail } from '../../src/services/auth.js';
import type { TestApp } from './app.js';
import type { TestAppWithSmtp } from './smtp.js';

/** A physician in Berlin, internal medicine, at a hospital of the app's directory. */
export const PROFILE = {
  profession: 'physician',
  seniority: 'assistenzarzt',
  department_group: 'innere_medizin',
  state_code: 'BE',
  hospital_ref_id: 42,
} as const satisfies ProfileInput;

/**
 * The app's registration body (contract §4.3) without `email`, as its form builds it for a physician with a
 * state and a department: legacy fields filled, no specialization code, "other / not listed" hospital.
 */
export const APP_REGISTRATION = {
  hospital_id: 'not_specified',
  specialty: 'innere_medizin',
  role_level: 'assistenzarzt',
  state_code: 'BE',
  profession: 'physician',
  seniority: 'assistenzarzt',
  department_group: 'innere_medizin',
  hospital_ref_id: null,
  terms_version: '2026-05',
  privacy_version: '2026-05',
} as const;

/** The versions the app v2.1.x sends, which are the service's defaults. */
export const CONSENT = { terms_version: '2026-05', privacy_version: '2026-05' } as const;

/** A fresh address per call, so tests never share an account or a rate-limit bucket by accident. */
export const uniqueEmail = (label = 'doctor') => `${label}-${randomUUID().slice(0, 8)}@klinik.example`;

/** A fresh client address per call (TEST-NET-2), so per-IP rate limits of one test do not touch another. */
export const uniqueIp = () => `198.51.${randomInt(0, 256)}.${randomInt(1, 255)}`;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface SignedIn {
  token: string;
  userId: string;
  registrationComplete: boolean;
}

/** Requests a code, reads it from the delivered e-mail and verifies it. */
export async function signInByEmail(t: TestAppWithSmtp, email: string, remoteAddress = uniqueIp()): Promise<SignedIn> {
  const requested = await t.app.inject({ method: 'POST', url: '/auth/request-code', payload: { email }, remoteAddress });
  if (requested.statusCode !== 202) throw new Error(`request-code: ${requested.statusCode} ${requested.body}`);
  const code = t.smtp.lastCodeFor(normalizeEmail(email));
  const verified = await t.app.inject({ method: 'POST', url: '/auth/verify', payload: { email, code }, remoteAddress });
  if (verified.statusCode !== 200) throw new Error(`verify: ${verified.statusCode} ${verified.body}`);
  const body = verified.json();
  return { token: body.access_token, userId: body.user_id, registrationComplete: body.registration_complete };
}

/** The full flow plus registration through the API. */
export async function registerByEmail(t: TestAppWithSmtp, email = uniqueEmail(), profile: ProfileInput = {}): Promise<SignedIn> {
  const signedIn = await signInByEmail(t, email);
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    headers: bearer(signedIn.token),
    payload: { ...PROFILE, ...CONSENT, ...profile },
  } satisfies InjectOptions);
  if (res.statusCode !== 200) throw new Error(`register: ${res.statusCode} ${res.body}`);
  return { ...signedIn, registrationComplete: true };
}

/** A registered user and a valid token, made through the services without e-mail. */
export async function createRegisteredUser(
  t: TestApp,
  options: { email?: string; profile?: ProfileInput; registered?: boolean } = {},
): Promise<{ token: string; user: User }> {
  const { auth, accounts, tokens } = t.app.services;
  const emailHash = auth.hashEmail(normalizeEmail(options.email ?? uniqueEmail()));
  let user = await new UserRepository(t.database.db).findOrCreate(emailHash, t.clock.now());
  // The versions this app's configuration asks for (CONSENT unless a test configures others).
  const consent = { terms_version: t.config.currentTermsVersion, privacy_version: t.config.currentPrivacyVersion };
  if (options.registered !== false) user = await accounts.register(user, { ...PROFILE, ...options.profile }, consent);
  return { token: (await tokens.issue(user.id)).token, user };
}
