/**
 * The sign-in, registration and profile paths that the Open Working Hours app v2.1.0–v2.1.4 calls (contract
 * mobile-app-v2.md §4.1–4.7), next to our own `/auth` API. HTTP only: every rule lives in the services
 * (codes, limits and tokens in AuthService, the profile in profile.ts through AccountService).
 *
 * Like the backend the app was built against, these routes ignore request fields they do not know.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { CODE_SENT_MESSAGE } from '../services/auth.js';
import { PROFILE_COLUMNS, type ProfileInput } from '../services/profile.js';
import { ConsentVersion, TokenBody, UserBody, profileProperties, tokenAnswer } from './profile-schemas.js';
import { bearerSecurity, errorResponses } from './shared-schemas.js';

const TAGS = ['app'];
const Email = Type.String({ maxLength: 320, description: 'E-mail address (trimmed and lower-cased)' });
const Code = Type.String({ maxLength: 128, description: 'The 6-digit code from the e-mail' });
const CodeBody = Type.Object({ email: Email, code: Code });

/** Optional, and null allowed (and then ignored: see `pickProfile`). */
const OrNull = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** `PATCH /auth/me/profile`: every profile key optional; null is ignored except for `hospital_ref_id`. */
const ProfileChanges = Type.Object({
  state_code: OrNull(profileProperties.state_code),
  hospital_ref_id: Type.Optional(profileProperties.hospital_ref_id),
  hospital_id: OrNull(profileProperties.hospital_id),
  profession: OrNull(profileProperties.profession),
  seniority: OrNull(profileProperties.seniority),
  department_group: OrNull(profileProperties.department_group),
  specialty: OrNull(profileProperties.specialty),
  role_level: OrNull(profileProperties.role_level),
  specialization_code: OrNull(profileProperties.specialization_code),
});

export default async function appAuthRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, accounts } = app.services;

  // Personal data and tokens: never stored by browsers or proxies.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.post(
    '/verification/request',
    {
      schema: {
        summary: 'Send a 6-digit code to an e-mail address (the app: registration and login)',
        description:
          'The same code, rules and limits as `POST /auth/request-code`: one live code per address (a new request ' +
          'replaces it), valid 15 minutes, the same 202 for every address.',
        tags: TAGS,
        body: Type.Object({ email: Email }),
        response: { 202: Type.Object({ message: Type.String() }), ...errorResponses(422, 429, 503) },
      },
    },
    async (request, reply) => {
      await auth.requestCode(request.body.email, request.ip);
      return reply.code(202).send({ message: CODE_SENT_MESSAGE });
    },
  );

  app.post(
    '/verification/confirm',
    {
      schema: {
        summary: 'Prove an e-mail address with its code, before a token-less registration',
        description:
          'Uses up the code (single use; counts as a guess like `/auth/verify`) and keeps the address verified for ' +
          '60 minutes, in which `POST /auth/register` without a token may follow. Creates no account. Every failure ' +
          'is the same 400.',
        tags: TAGS,
        body: CodeBody,
        response: {
          200: Type.Object({
            verified: Type.Literal(true),
            expires_at: Type.String({ format: 'date-time', description: 'Until when the address may be registered' }),
          }),
          ...errorResponses(400, 422, 429),
        },
      },
    },
    async (request) => {
      const { expiresAt } = await auth.confirmAddress(request.body.email, request.body.code, request.ip);
      return { verified: true as const, expires_at: expiresAt.toISOString() };
    },
  );

  app.post(
    '/auth/register',
    {
      schema: {
        summary: 'Create the account of a verified address (the app; without a token)',
        description:
          'After `POST /verification/confirm` (or a `POST /auth/login` answered 404) for this address, within 60 ' +
          'minutes. Answers 201 with a token. 400 when the address is not verified, or already has a registered ' +
          'account; an account that signed in through `/auth/verify` but never registered is completed. ' +
          'Vocabulary: GET /taxonomy. The legacy `specialty`, `role_level` and `hospital_id` are required; ' +
          '`not_specified` where nothing was chosen.',
        tags: TAGS,
        body: Type.Object({
          email: Email,
          hospital_id: profileProperties.hospital_id,
          specialty: profileProperties.specialty,
          role_level: profileProperties.role_level,
          profession: profileProperties.profession,
          seniority: Type.Optional(profileProperties.seniority),
          department_group: Type.Optional(profileProperties.department_group),
          state_code: Type.Optional(profileProperties.state_code),
          specialization_code: Type.Optional(profileProperties.specialization_code),
          hospital_ref_id: Type.Optional(profileProperties.hospital_ref_id),
          terms_version: ConsentVersion,
          privacy_version: ConsentVersion,
        }),
        response: { 201: TokenBody, ...errorResponses(400, 422, 429) },
      },
    },
    async (request, reply) => {
      const { email, terms_version, privacy_version } = request.body;
      const signIn = await auth.register(email, pickProfile(request.body), { terms_version, privacy_version }, request.ip);
      return reply.code(201).send(tokenAnswer(signIn));
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Sign in a registered user with a code (the app)',
        description:
          'After `POST /verification/request`. The code is used up either way. A correct code for an address ' +
          'without a registered account answers 404 ("register first": the app then offers registration) and ' +
          'keeps the address verified for 60 minutes, so `POST /auth/register` without a token may follow. ' +
          'Never creates an account. Wrong or expired codes: one 401.',
        tags: TAGS,
        body: CodeBody,
        response: { 200: TokenBody, ...errorResponses(401, 404, 422, 429) },
      },
    },
    async (request) => tokenAnswer(await auth.login(request.body.email, request.body.code, request.ip)),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        summary: 'Renew an access token (the app v2.1.1+; any of our tokens)',
        description:
          'Bearer token only, no body. A new token with a fresh lifetime, but never beyond 365 days after the ' +
          'last interactive sign-in (then 401: sign in again). Rate-limited per client before the token is checked.',
        tags: [...TAGS, 'auth'],
        security: bearerSecurity,
        response: { 200: TokenBody, ...errorResponses(401, 429) },
      },
    },
    async (request) => tokenAnswer(await auth.refresh(app.auth.bearerToken(request), request.ip)),
  );

  app.patch(
    '/auth/me/profile',
    {
      onRequest: app.auth.required,
      // No body (or an empty one with a JSON content type) is an empty change, like `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        summary: "Save the profile screen's fields (the app)",
        description:
          'Sets every key that is present; absent keys and null values keep the stored value, except ' +
          '`hospital_ref_id: null` ("other / not listed"). An empty body changes nothing. Same vocabulary and ' +
          'rules as `PATCH /auth/me` (a seniority is checked against the stored profession; profession `other` ' +
          'clears the seniority).',
        tags: TAGS,
        security: bearerSecurity,
        body: ProfileChanges,
        response: { 200: UserBody, ...errorResponses(401, 422) },
      },
    },
    async (request) => accounts.view(await accounts.updateProfile(request.user!, pickProfile(request.body))),
  );
}

/** The profile keys of a body (unknown fields ignored); null counts as absent except for `hospital_ref_id`. */
function pickProfile(body: Partial<Record<(typeof PROFILE_COLUMNS)[number], unknown>>): ProfileInput {
  const profile: Record<string, unknown> = {};
  for (const key of PROFILE_COLUMNS) {
    const value = body[key];
    if (value === undefined || (value === null && key !== 'hospital_ref_id')) continue;
    profile[key] = value;
  }
  return profile as ProfileInput;
}
