/** Sign-in, registration, consent and the GDPR rights under `/auth`. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { CODE_SENT_MESSAGE } from '../services/auth.js';
import { isRegistrationComplete } from '../services/accounts.js';
import { dateInZone } from '../services/clock.js';
import { CREDENTIALS_CONSTRAINT } from '../plugins/auth.js';
import { ConsentVersion, TokenBody, UserBody, profileProperties, tokenAnswer } from './profile-schemas.js';
import { bearerSecurity, errorResponses } from './shared-schemas.js';

const Email = Type.String({ maxLength: 320, description: 'E-mail address (trimmed and lower-cased)' });
const optional = Object.fromEntries(Object.entries(profileProperties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
  [K in keyof typeof profileProperties]: ReturnType<typeof Type.Optional<(typeof profileProperties)[K]>>;
};

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
          200: Type.Object({ ...TokenBody.properties, registration_complete: Type.Boolean() }),
          ...errorResponses(401, 422, 429),
        },
      },
    },
    async (request) => {
      const signIn = await auth.verify(request.body.email, request.body.code, request.ip);
      return { ...tokenAnswer(signIn), registration_complete: isRegistrationComplete(signIn.user) };
    },
  );

  app.post(
    '/auth/register',
    {
      // With a token only; the app's token-less registration at this path is in app-auth.ts.
      constraints: { [CREDENTIALS_CONSTRAINT]: 'bearer' },
      onRequest: app.auth.required,
      schema: {
        summary: 'Complete the profile and accept the terms and privacy policy',
        tags: ['auth'],
        security: bearerSecurity,
        description:
          'Vocabulary: GET /taxonomy. `profession` is required; the legacy `specialty`, `role_level` and `hospital_id` ' +
          'follow `department_group`, `seniority` and the hospital (`not_specified` when none was chosen).',
        body: Type.Object(
          { ...optional, profession: profileProperties.profession, terms_version: ConsentVersion, privacy_version: ConsentVersion },
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
        description:
          `Any of ${Object.keys(profileProperties).join(', ')}; at least one. A seniority that does not fit a changed ` +
          'profession is cleared.',
        tags: ['auth'],
        security: bearerSecurity,
        body: Type.Object(optional, { additionalProperties: false, minProperties: 1 }),
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
        body: Type.Object({ terms_version: ConsentVersion, privacy_version: ConsentVersion }, { additionalProperties: false }),
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
          'One entry per published statistics cell the user was counted in (see docs/privacy.md). `imported_releases`: ' +
          "the original backend's weekly releases that counted the user before the move (docs/migrating.md), with the ε " +
          'it charged; `epsilon_by_year` sums both. Deleted with the account.',
        // One tag: Swagger UI lists an operation once under each of its tags.
        tags: ['auth'],
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
            imported_releases: Type.Array(
              Type.Object({
                week_start: Type.String({ format: 'date', description: 'The Monday of the released week' }),
                cell_key: Type.String({ description: "The original's cell, `country/state/specialty`, e.g. `DEU/BY/innere_medizin`" }),
                epsilon: Type.Number(),
                recorded_at: Type.String({ format: 'date-time' }),
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
