/** `POST /feedback`: bug reports and suggestions from the app, with or without a login. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DESCRIPTION_MAX_LENGTH } from '../services/feedback.js';
import { HOURS } from '../services/rate-limiter.js';

const optionalText = (maxLength: number, description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength }), Type.Null()], { description }));

const FeedbackBody = Type.Object(
  {
    description: Type.String({
      minLength: 1,
      maxLength: DESCRIPTION_MAX_LENGTH,
      description: 'What happened or what could be better. E-mail addresses and phone numbers are removed before storage.',
    }),
    app_version: optionalText(50, 'e.g. 1.4.2'),
    build_number: optionalText(50, 'e.g. 87'),
    platform: optionalText(50, 'e.g. ios or android'),
    device_model: optionalText(100, 'e.g. iPhone 15'),
    os_version: optionalText(50, 'e.g. 17.4'),
    app_state: Type.Optional(
      Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
        description: 'Diagnostic state of the app, a JSON object of at most 32 KB.',
      }),
    ),
  },
  { additionalProperties: false },
);

const Accepted = Type.Object({ success: Type.Literal(true), message: Type.String() });
const Problem = Type.Object({ detail: Type.String() });

const FEEDBACK_LIMIT = [{ max: 10, windowMs: HOURS }];

export default async function feedbackRoutes(app: FastifyInstance): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/feedback',
    {
      // Optional: no token is fine, an invalid one is refused (401) before the body is read.
      onRequest: app.auth.optional,
      schema: {
        summary: 'Send feedback (no login needed; a Bearer token links the report to the account)',
        tags: ['feedback'],
        body: FeedbackBody,
        response: { 201: Accepted, 422: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      await app.services.rateLimiter.hit(
        `feedback:${request.ip}`,
        FEEDBACK_LIMIT,
        'Too many feedback reports, please try again later',
      );
      // A signed-in sender's report is linked to the account, so it is exported and erased with it.
      await app.services.feedback.submit(request.body, request.user?.id ?? null);
      return reply.code(201).send({ success: true as const, message: 'Thank you for your feedback' });
    },
  );
}
