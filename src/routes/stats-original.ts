/**
 * GET /stats/original: the statistics the original backend published, imported when the service took over
 * (docs/migrating.md). Public like ours, read-only, each row labelled with its method, and never mixed with
 * ours (/stats/by-state-specialty): another method, weekly cells, and figures we cannot recompute.
 */
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { quietLogLevel } from '../plugins/log-level.js';
import { toCsv } from '../services/csv.js';
import { IMPORTED_STATS_COLUMNS, ORIGINAL_METHOD_DESCRIPTIONS } from '../services/imported-statistics.js';
import { wantsCsv } from './stats.js';

const methods = Object.keys(ORIGINAL_METHOD_DESCRIPTIONS);

const Query = Type.Object({
  method: Type.Optional(Type.Union(methods.map((m) => Type.Literal(m)), { description: 'Only the rows of this method' })),
  period_start: Type.Optional(Type.String({ format: 'date', description: 'The Monday of the week (YYYY-MM-DD)' })),
  state_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'German state code, e.g. BY' })),
  specialty: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Specialty as the original published it' })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100, description: 'Rows per page (default 100, at most 5000)' }),
  offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv, or send Accept: text/csv' })),
});

const Hours = (description: string) => Type.Union([Type.Number({ description }), Type.Null()]);
const Row = Type.Object({
  stat_id: Type.String({ format: 'uuid', description: "The original's row id" }),
  method: Type.String({ description: 'Which method produced the row: ' + methods.map((m) => `\`${m}\`: ${ORIGINAL_METHOD_DESCRIPTIONS[m]}`).join('; ') }),
  country_code: Type.String(),
  state_code: Type.String(),
  specialty: Type.String(),
  period_type: Type.String({ description: "The original's period, e.g. week" }),
  period_start: Type.String({ format: 'date' }),
  period_end: Type.String({ format: 'date' }),
  planned_mean_hours: Hours('Average planned weekly hours as published (noise included)'),
  overtime_mean_hours: Hours('Average overtime hours as published (noise included)'),
  planned_ci_half: Hours('Published 90% interval of planned_mean_hours'),
  actual_ci_half: Hours('Published 90% interval of the actual hours'),
  overtime_ci_half: Hours('Published 90% interval of overtime_mean_hours'),
  n_display: Type.Union([Type.Integer(), Type.Null()], { description: 'Group size as the original displayed it' }),
  computed_at: Type.String({ format: 'date-time', description: 'When the original computed it' }),
  imported_at: Type.String({ format: 'date-time', description: 'When it was imported here' }),
});

export default async function originalStatsRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { importedStatistics } = app.services;

  app.get(
    '/stats/original',
    {
      schema: {
        summary: "The original backend's published statistics, as imported (read-only)",
        description:
          'What the original backend showed as published before this service took over, frozen: never recomputed, ' +
          're-noised or merged with our monthly statistics (/stats/by-state-specialty). Each row names its `method`. ' +
          'Newest week first; each given filter matches exactly. `?format=csv` or `Accept: text/csv` for CSV. ' +
          'X-Total-Count gives the number of rows matching the filters. Empty when nothing was imported.',
        tags: ['stats'],
        querystring: Query,
        response: {
          200: {
            description: 'Imported rows',
            content: { 'application/json': { schema: Type.Array(Row) }, 'text/csv': { schema: Type.String() } },
          },
        },
      },
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (request, reply) => {
      const { method, period_start, state_code, specialty, limit, offset } = request.query;
      const { rows, total } = await importedStatistics.list({ method, period_start, state_code, specialty }, limit, offset);
      reply.header('x-total-count', String(total));
      if (wantsCsv(request.query.format, request.headers.accept)) {
        reply.header('content-disposition', 'attachment; filename="open-working-hours-original.csv"');
        return reply.type('text/csv; charset=utf-8').send(toCsv(IMPORTED_STATS_COLUMNS, rows));
      }
      return rows;
    },
  );
}
