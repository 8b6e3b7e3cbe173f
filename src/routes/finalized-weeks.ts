/** The mobile app's weekly submissions under `/finalized-weeks` (Bearer token of a registered user). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { MAX_WEEK_HOURS } from '../services/finalized-weeks.js';
import { WHO_COUNTS } from '../services/statistics-method.js';
import { DEFAULT_PAGE_SIZE, FIRST_DATE, MAX_PAGE_SIZE } from '../services/work-events.js';
import { profileSnapshotProperties } from './profile-schemas.js';
import { Offset, bearerSecurity, errorResponses } from './shared-schemas.js';

const Hours = (what: string) =>
  Type.Number({
    minimum: 0,
    maximum: MAX_WEEK_HOURS,
    description: `${what} hours of the whole week, 0 to ${MAX_WEEK_HOURS}, at most two decimals (e.g. 37.33 or 40)`,
  });

const FinalizedWeek = Type.Object({
  finalized_week_id: Type.String({ format: 'uuid' }),
  week_start: Type.String({ format: 'date', description: 'The Monday' }),
  week_end: Type.String({ format: 'date', description: 'The Sunday (week_start + 6)' }),
  planned_hours: Type.Number({ description: 'As sent' }),
  actual_hours: Type.Number({ description: 'As sent' }),
  ...profileSnapshotProperties,
  finalized_at: Type.String({ format: 'date-time' }),
}, { description: 'The week with the profile as it was when the week was sent' });

export default async function finalizedWeekRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { finalizedWeeks } = app.services;
  // Authenticate before the body is validated: no token is 401 (the app then offers to sign in again).
  const onRequest = app.auth.registered;

  app.post(
    '/finalized-weeks',
    {
      onRequest,
      schema: {
        summary: 'Send one confirmed week (the app v2.1.x)',
        description:
          'Called by the Open Working Hours app v2.1.0 and later once all seven days of a week are confirmed on ' +
          'the phone. **201 the first time, 409 on every repeat (even with other hours; the first values ' +
          'stay), never 200**: the app counts 201 and 409 as sent and retries anything else forever. ' +
          'Checks in this order: 422 when `week_start` is not a Monday, an hours value is missing, outside ' +
          `0–${MAX_WEEK_HOURS} or has more than two decimals, or the week ends before ${FIRST_DATE}; 400 when ` +
          'the week ends after today in TIMEZONE (the week ending today is accepted: the app sends it on ' +
          'its Sunday evening); 409 when the week was finalized before. The profile as it is now is stored ' +
          'with the week; the week\'s days can then no longer be changed through /work-events. Unknown ' +
          'body fields are ignored, as the original server did.\n\n' +
          WHO_COUNTS,
        tags: ['app'],
        security: bearerSecurity,
        body: Type.Object(
          {
            week_start: Type.String({ format: 'date', description: 'The Monday of the week, YYYY-MM-DD' }),
            planned_hours: Hours('Planned'),
            actual_hours: Hours('Worked'),
          },
          // The contract's server ignored unknown fields; refusing one would make the app retry forever.
          { additionalProperties: true },
        ),
        response: { 201: FinalizedWeek, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { week_start, planned_hours, actual_hours } = request.body;
      const week = await finalizedWeeks.finalize(request.user!, { week_start, planned_hours, actual_hours });
      return reply.code(201).send(week);
    },
  );

  app.get(
    '/finalized-weeks',
    {
      onRequest,
      schema: {
        summary: "The user's finalized weeks, newest first",
        description: 'Not called by the app v2.1.x; the same shape as the answer to POST /finalized-weeks.',
        tags: ['app'],
        security: bearerSecurity,
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
            offset: Offset,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(FinalizedWeek), ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => finalizedWeeks.list(request.user!, request.query),
  );
}
