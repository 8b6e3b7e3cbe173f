/** A doctor's confirmed days under `/work-events` (Bearer token of a registered user). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { WHO_COUNTS } from '../services/statistics-method.js';
import { DEFAULT_PAGE_SIZE, FIRST_DATE, MAX_MINUTES, MAX_PAGE_SIZE } from '../services/work-events.js';
import { Offset, bearerSecurity, errorResponses } from './shared-schemas.js';


const Minutes = (what: string) => Type.Integer({ minimum: 0, maximum: MAX_MINUTES, description: `${what} minutes (0 to ${MAX_MINUTES})` });
const CalendarDate = (description: string) => Type.String({ format: 'date', description });

const Event = Type.Object({
  id: Type.String({ format: 'uuid' }),
  date: Type.String({ format: 'date' }),
  planned_minutes: Type.Integer(),
  actual_minutes: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
// UUIDs are case-insensitive; ids are stored in lower case, and SQLite compares text exactly.
const EventId = Type.Object({ id: Type.String({ format: 'uuid' }) });

export default async function workEventRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { workEvents } = app.services;
  // Authenticate before the body is validated: no token is 401, whatever the body.
  const onRequest = app.auth.registered;

  app.post(
    '/work-events',
    {
      onRequest,
      schema: {
        summary: 'Confirm one past day',
        description:
          `Only days before today (in TIMEZONE) and from ${FIRST_DATE}. One event per day: sending the same day ` +
          'with the same minutes again answers 200 with the stored event (safe to retry); different minutes are 409. ' +
          'Days of a week finalized through POST /finalized-weeks are locked: 409.\n\n' +
          WHO_COUNTS,
        tags: ['work-events'],
        security: bearerSecurity,
        body: Type.Object(
          {
            date: CalendarDate('The day, YYYY-MM-DD'),
            planned_minutes: Minutes('Planned'),
            actual_minutes: Minutes('Actually worked'),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Event,
          201: Event,
          ...errorResponses(401, 403, 422),
          409: Type.Object({
            detail: Type.String(),
            event_id: Type.Optional(Type.String({ format: 'uuid', description: 'The stored event of that day, when its minutes differ' })),
          }),
        },
      },
    },
    async (request, reply) => {
      const { event, created } = await workEvents.submit(request.user!, request.body);
      return reply.code(created ? 201 : 200).send(event);
    },
  );

  app.get(
    '/work-events',
    {
      onRequest,
      schema: {
        summary: "The user's events, newest date first",
        description: 'X-Total-Count gives the number of events in the date range, across all pages.',
        tags: ['work-events'],
        security: bearerSecurity,
        querystring: Type.Object(
          {
            start_date: Type.Optional(CalendarDate('First day, inclusive')),
            end_date: Type.Optional(CalendarDate('Last day, inclusive')),
            limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
            offset: Offset,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Event), ...errorResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { start_date, end_date, limit, offset } = request.query;
      const { events, total } = await workEvents.list(request.user!, { startDate: start_date, endDate: end_date, limit, offset });
      return reply.header('x-total-count', String(total)).send(events);
    },
  );

  app.patch(
    '/work-events/:id',
    {
      onRequest,
      schema: {
        summary: 'Correct the minutes of an event',
        description: 'The date cannot be changed: delete the event and create it again. Days of a finalized week are locked (409).',
        tags: ['work-events'],
        security: bearerSecurity,
        params: EventId,
        body: Type.Object(
          {
            planned_minutes: Type.Optional(Minutes('Planned')),
            actual_minutes: Type.Optional(Minutes('Actually worked')),
            // Accepted by the schema only to be refused with a sentence that says what to do instead.
            date: Type.Optional(Type.Unknown({ description: 'Not changeable' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Event, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => workEvents.update(request.user!, request.params.id.toLowerCase(), request.body),
  );

  app.delete(
    '/work-events/:id',
    {
      onRequest,
      schema: {
        summary: 'Delete an event',
        description: 'Days of a finalized week are locked (409).',
        tags: ['work-events'],
        security: bearerSecurity,
        params: EventId,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      await workEvents.delete(request.user!, request.params.id.toLowerCase());
      return reply.code(204).send(null);
    },
  );
}
