/** Sign-in, registration, consent and the GDPR rights under `/auth`. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { PROFILE_FIELDS, isRegistrationComplete } from '../services/accounts.js';
import { CODE_SENT_MESSAGE } from '../services/auth.js';
import { dateInZone } from '../services/clock.js';
import { ROLE_LEVEL_CODES, SPECIALTY_CODES, STATE_CODES } from '../services/taxonomy.js';
import { bearerSecurity, errorResponses } from './shared-schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const Email = Type.String({ maxLength: 320, description: 'E-mail address (trimmed and lower-cased)' });
const Version = Type.String({ minLength: 1, maxLength: 32, description: 'Version of the accepted document, e.g. "2026-01"' });
const profileFields = {
  hospital_id: Type.String({ minLength: 1, maxLength: 255, description: 'Identifier of the hospital' }),
  specialty: Type.Enum(SPECIALTY_CODES, { description: 'Specialty code from GET /taxonomy' }),
  role_level: Type.Enum(ROLE_LEVEL_CODES, { description: 'Role level code from GET /taxonomy' }),
  state_code: Type.Enum(STATE_CODES, { description: 'German state code (BW, BY, ...)' }),
};

const UserBody = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  hospital_id: Nullable(Type.String()),
  specialty: Nullable(Type.String()),
  role_level: Nullable(Type.String()),
  state_code: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  terms_accepted_version: Nullable(Type.String()),
  privacy_accepted_version: Nullable(Type.String()),
  consent_accepted_at: Nullable(Type.String({ format: 'date-time' })),
  registration_complete: Type.Boolean(),
  consent_required: Type.Boolean({ description: 'The user has not accepted the current terms and privacy policy' }),
});


export default async function authRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, accounts } = app.services;

  // Personal data and tokens: never stored by browsers or proxies.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.post(
    '/auth/request-code',
    {
      schema: {
        summary: 'Send a 6-digit sign-in code to an e-mail address',
        description: 'Answers the same whether or not the address has an account. Rate-limited per address and per client.',
        tags: ['auth'],
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: { 202: Type.Object({ message: Type.String() }), ...errorResponses(422, 429, 503) },
      },
    },
    async (request, reply) => {
      await auth.requestCode(request.body.email, request.ip);
      return reply.code(202).send({ message: CODE_SENT_MESSAGE });
    },
  );

  app.post(
    '/auth/verify',
    {
      schema: {
        summary: 'Exchange a sign-in code for an access token',
        description: 'Creates the account on the first successful sign-in. Every failure is the same 401.',
        tags: ['auth'],
        body: Type.Object(
          { email: Email, code: Type.String({ maxLength: 32, description: 'The 6-digit code from the e-mail' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('bearer'),
            expires_at: Type.String({ format: 'date-time' }),
            user_id: Type.String({ format: 'uuid' }),
            registration_complete: Type.Boolean(),
          }),
          ...errorResponses(401, 422, 429),
        },
      },
    },
    async (request) => {
      const { token, user } = await auth.verify(request.body.email, request.body.code, request.ip);
      return {
        access_token: token.token,
        token_type: 'bearer' as const,
        expires_at: token.expiresAt.toISOString(),
        user_id: user.id,
        registration_complete: isRegistrationComplete(user),
      };
    },
  );

  app.post(
    '/auth/register',
    {
      onRequest: app.auth.required,
      schema: {
        summary: 'Complete the profile and accept the terms and privacy policy',
        tags: ['auth'],
        security: bearerSecurity,
        body: Type.Object(
          { ...profileFields, terms_version: Version, privacy_version: Version },
          { additionalProperties: false },
        ),
        response: { 200: UserBody, ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const { terms_version, privacy_version, ...profile } = request.body;
      return accounts.view(await accounts.register(request.user!, profile, { terms_version, privacy_version }));
    },
  );

  app.get(
    '/auth/me',
    {
      onRequest: app.auth.required,
      schema: { summary: 'The signed-in user', tags: ['auth'], security: bearerSecurity, response: { 200: UserBody, ...errorResponses(401) } },
    },
    async (request) => accounts.view(request.user!),
  );

  app.patch(
    '/auth/me',
    {
      onRequest: app.auth.required,
      schema: {
        summary: 'Change profile fields',
        description: `Any of ${PROFILE_FIELDS.join(', ')}; at least one.`,
        tags: ['auth'],
        security: bearerSecurity,
        body: Type.Object(
          {
            hospital_id: Type.Optional(profileFields.hospital_id),
            specialty: Type.Optional(profileFields.specialty),
            role_level: Type.Optional(profileFields.role_level),
            state_code: Type.Optional(profileFields.state_code),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserBody, ...errorResponses(401, 422) },
      },
    },
    async (request) => accounts.view(await accounts.updateProfile(request.user!, request.body)),
  );

  app.post(
    '/auth/consent',
    {
      onRequest: app.auth.required,
      schema: {
        summary: 'Accept (new versions of) the terms and the privacy policy',
        tags: ['auth'],
        security: bearerSecurity,
        body: Type.Object({ terms_version: Version, privacy_version: Version }, { additionalProperties: false }),
        response: { 200: UserBody, ...errorResponses(401, 422) },
      },
    },
    async (request) => accounts.view(await accounts.consent(request.user!, request.body)),
  );

  app.delete(
    '/auth/me',
    {
      onRequest: app.auth.required,
      schema: {
        summary: 'Delete the account and all its data (right to erasure)',
        description: 'Published statistics are anonymous and stay. The demo account cannot be deleted (403).',
        tags: ['auth'],
        security: bearerSecurity,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      await accounts.erase(request.user!);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me/export',
    {
      onRequest: app.auth.required,
      schema: {
        summary: 'Everything stored about the signed-in user, as a JSON file (right of access)',
        tags: ['auth'],
        security: bearerSecurity,
        response: {
          200: Type.Unknown({ description: 'exported_at, profile, work_events and every other section of stored data' }),
          ...errorResponses(401),
        },
      },
    },
    async (request, reply) => {
      const data = await accounts.exportData(request.user!);
      const day = dateInZone(app.clock.now(), app.config.timezone);
      reply.header('content-disposition', `attachment; filename="open-working-hours-export-${day}.json"`);
      return data;
    },
  );

  app.get(
    '/auth/me/privacy',
    {
      onRequest: app.auth.required,
      schema: {
        summary: 'The statistics releases that included the signed-in user, and the privacy budget spent per year',
        description:
          'One entry per published statistics cell the user was counted in (see docs/privacy.md). Deleted with the account.',
        tags: ['auth', 'stats'],
        security: bearerSecurity,
        response: {
          200: Type.Object({
            releases: Type.Array(
              Type.Object({
                period: Type.String(),
                state_code: Type.String(),
                specialty: Type.String(),
                epsilon: Type.Number(),
                published_at: Type.String({ format: 'date-time' }),
              }),
            ),
            epsilon_by_year: Type.Array(Type.Object({ year: Type.String(), releases: Type.Integer(), epsilon: Type.Number() })),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => app.services.statistics.privacyLedger(request.user!.id),
  );
}
