/** The app's Sign in with Apple (iOS) and Google (Android), contract §4.14. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AccessToken } from '../services/tokens.js';
import type { SocialSignIn } from '../services/social-auth.js';
import { ConsentVersion, TokenBody, UserBody, profileProperties } from './profile-schemas.js';
import { errorResponses } from './shared-schemas.js';

const APP_VERSIONS = 'Used by the Open Working Hours app v2.1.x.';

const optionalProfile = Object.fromEntries(
  Object.entries(profileProperties).map(([key, schema]) => [key, Type.Optional(schema)]),
) as { [K in keyof typeof profileProperties]: ReturnType<typeof Type.Optional<(typeof profileProperties)[K]>> };

/** Apple and Google identity tokens are 1–2 KB; far more is not one. */
const IdentityToken = (description: string) => Type.String({ minLength: 1, maxLength: 8192, description });

const Authenticated = Type.Object({
  status: Type.Literal('authenticated'),
  ...TokenBody.properties,
  user: UserBody,
});
const RegistrationRequired = Type.Object({
  status: Type.Literal('registration_required'),
  social_registration_token: Type.String({ description: 'Valid 30 minutes, for POST /auth/social/register' }),
  expires_at: Type.String({ format: 'date-time', description: 'When the registration token expires' }),
});
const SignInAnswer = Type.Union([Authenticated, RegistrationRequired]);

const tokenAnswer = (token: AccessToken, userId: string) => ({
  access_token: token.token,
  token_type: 'bearer' as const,
  expires_at: token.expiresAt.toISOString(),
  user_id: userId,
});

export default async function appSocialRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { socialAuth, accounts } = app.services;

  // Tokens: never stored by browsers or proxies.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const answer = (result: SocialSignIn) =>
    result.status === 'authenticated'
      ? { status: result.status, ...tokenAnswer(result.token, result.user.id), user: accounts.view(result.user) }
      : { status: result.status, social_registration_token: result.registration.token, expires_at: result.registration.expiresAt.toISOString() };

  const signInDescription = (provider: string, audience: string) =>
    `${APP_VERSIONS} Verifies the identity token against ${provider}'s published keys (RS256), its issuer, its ` +
    `audience (${audience}) and its expiry. An identity with an account gets \`status: "authenticated"\` with an ` +
    'access token and the user; any other gets `status: "registration_required"` with a 30-minute ' +
    '`social_registration_token` for POST /auth/social/register. 401 for an invalid token, 503 when the ' +
    "provider's keys cannot be fetched. Rate-limited per client.";

  app.post(
    '/auth/apple',
    {
      schema: {
        summary: 'Sign in with Apple',
        description: signInDescription('Apple', '`APPLE_BUNDLE_ID`'),
        tags: ['app'],
        body: Type.Object({ identity_token: IdentityToken("The identity token of Apple's credential") }, { additionalProperties: false }),
        response: { 200: SignInAnswer, ...errorResponses(401, 422, 429, 503) },
      },
    },
    async (request) => answer(await socialAuth.signIn('apple', request.body.identity_token, request.ip)),
  );

  app.post(
    '/auth/google',
    {
      schema: {
        summary: 'Sign in with Google',
        description: `${signInDescription('Google', '`GOOGLE_CLIENT_ID`')} 501 when GOOGLE_CLIENT_ID is not set.`,
        tags: ['app'],
        body: Type.Object({ id_token: IdentityToken('The ID token of the Google sign-in') }, { additionalProperties: false }),
        response: { 200: SignInAnswer, ...errorResponses(401, 422, 429, 501, 503) },
      },
    },
    async (request) => answer(await socialAuth.signIn('google', request.body.id_token, request.ip)),
  );

  app.post(
    '/auth/social/register',
    {
      schema: {
        summary: 'Create the account of an Apple or Google identity',
        description:
          `${APP_VERSIONS} The body of the app's POST /auth/register without \`email\`, plus the ` +
          '`social_registration_token` of /auth/apple or /auth/google. Same profile rules (422). 401 when the ' +
          'registration token is invalid or expired, 400 when the identity already has an account. The account ' +
          'has no e-mail address. Rate-limited per client.',
        tags: ['app'],
        body: Type.Object(
          {
            ...optionalProfile,
            profession: profileProperties.profession,
            terms_version: ConsentVersion,
            privacy_version: ConsentVersion,
            social_registration_token: Type.String({ minLength: 1, maxLength: 2048, description: 'From /auth/apple or /auth/google' }),
          },
          { additionalProperties: false },
        ),
        response: { 201: TokenBody, ...errorResponses(400, 401, 422, 429) },
      },
    },
    async (request, reply) => {
      const { social_registration_token, terms_version, privacy_version, ...profile } = request.body;
      const { token, user } = await socialAuth.register(social_registration_token, profile, { terms_version, privacy_version }, request.ip);
      return reply.code(201).send(tokenAnswer(token, user.id));
    },
  );
}
