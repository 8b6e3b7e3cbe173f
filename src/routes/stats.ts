/**
 * Public statistics (no authentication): the published cells and a summary with the methodology. Answers
 * come from an in-process cache of serialized bodies (see STATS_CACHE_TTL_SECONDS): the process that
 * publishes clears its cache at once, other processes within the TTL; clients may keep a copy for the same
 * time and revalidate with If-None-Match.
 */
import { Type, type Static, type TSchema } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Representation } from '../services/response-cache.js';
import { sendCached } from '../plugins/http-cache.js';
import { toCsv } from '../services/csv.js';
import { PUBLIC_COLUMNS, STATS_CACHE_TTL_SECONDS, type PublicStatsFilter } from '../services/statistics.js';
import { quietLogLevel } from '../plugins/log-level.js';

const PERIOD_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])$';
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const StatsQuery = Type.Object({
  country_code: Type.Optional(
    Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 3166-1 alpha-3 country; only DEU has statistics (another country: an empty list)' }),
  ),
  period: Type.Optional(Type.String({ pattern: PERIOD_PATTERN, description: 'Month, YYYY-MM' })),
  state_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'German state code, e.g. BY' })),
  specialty: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'Department group (see GET /taxonomy) or not_specified; months published before the app vocabulary use its first specialty codes',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100, description: 'Rows per page (default 100, at most 5000)' }),
  offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv, or send Accept: text/csv' })),
});
type StatsQuery = Static<typeof StatsQuery>;

const Hours = (description: string) => Nullable(Type.Number({ description }));
const StatsRow = Type.Object({
  period: Type.String({ description: 'Month, YYYY-MM' }),
  state_code: Type.String(),
  specialty: Type.String({ description: 'Department group or not_specified (older months: a specialty of the first vocabulary)' }),
  n_users: Type.Integer({ description: 'People counted, rounded down to a multiple of 5 (never the exact count)' }),
  avg_weekly_hours: Type.Number({ description: 'Average actual weekly hours, with noise' }),
  avg_planned_weekly_hours: Hours('Average planned weekly hours, with noise'),
  avg_overtime_weekly_hours: Hours('Actual minus planned: avg_planned_weekly_hours + this = avg_weekly_hours to the cent'),
  ci90_half_width: Hours('The noise on avg_weekly_hours is within ± this with 90% probability'),
  epsilon: Nullable(Type.Number({ description: 'Privacy budget spent on this cell' })),
  k_min: Nullable(Type.Integer({ description: 'Minimum group size the cell was published under' })),
  created_at: Type.String({ format: 'date-time' }),
  stat_id: Type.String({ format: 'uuid', description: 'The row id' }),
  country_code: Type.Literal('DEU'),
  period_start: Type.String({ format: 'date', description: 'First day of the month' }),
  period_end: Type.String({ format: 'date', description: 'Last day of the month' }),
  planned_mean_hours: Hours('= avg_planned_weekly_hours'),
  overtime_mean_hours: Hours('= avg_overtime_weekly_hours; planned_mean_hours + this = avg_weekly_hours to the cent'),
  actual_ci_half: Hours('= ci90_half_width'),
  planned_ci_half: Hours('90% noise interval of planned_mean_hours (null for months published before it was computed)'),
  overtime_ci_half: Hours('90% noise interval of overtime_mean_hours (null for months published before it was computed)'),
  n_display: Type.Integer({ description: '= n_users' }),
  status: Type.Literal('published', { description: 'Only published cells exist; groups below k_min are never stored' }),
  computed_at: Type.String({ format: 'date-time', description: '= created_at' }),
});

const LabelMap = Type.Record(Type.String(), Type.Object({ de: Type.String(), en: Type.String() }));
const Summary = Type.Object({
  periods: Type.Array(Type.String(), { description: 'Published months, newest first' }),
  latest_period: Type.Union([Type.String(), Type.Null()]),
  cells_published: Type.Integer(),
  states: Type.Array(Type.String()),
  specialties: Type.Array(Type.String(), { description: 'Department groups and not_specified (older months: first-vocabulary specialties)' }),
  labels: Type.Object(
    { states: LabelMap, specialties: LabelMap },
    { description: 'German and English names of the listed states and specialties' },
  ),
  methodology: Type.Object({
    k_min: Type.Integer(),
    epsilon: Type.Number(),
    epsilon_actual: Type.Number(),
    epsilon_planned: Type.Number(),
    weekly_hours_cap: Type.Number(),
    min_days_per_user: Type.Integer(),
    grace_days: Type.Integer(),
    timezone: Type.String(),
    noise: Type.String(),
    noise_grid_hours: Type.Number(),
    n_users_rounding: Type.String(),
    confidence_interval: Type.String(),
    documentation: Type.String(),
  }),
});

const NotModified = Type.Null({ description: 'Not modified: the ETag in If-None-Match is current' });

/** CSV when asked by `format`, else when Accept prefers text/csv over JSON. */
export function wantsCsv(format: StatsQuery['format'], accept: string | undefined): boolean {
  if (format) return format === 'csv';
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.toLowerCase().split(',')) {
    const [type = '', ...parameters] = part.split(';').map((p) => p.trim());
    const q = parameters.find((p) => p.startsWith('q='));
    const quality = q ? Number(q.slice(2)) || 0 : 1;
    if (type === 'text/csv') csv = Math.max(csv, quality);
    if (type === 'application/json' || type === 'application/*' || type === '*/*') json = Math.max(json, quality);
  }
  return csv > json;
}

export default async function statsRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { statistics } = app.services;

  app.get(
    '/stats/by-state-specialty',
    {
      schema: {
        summary: 'Published monthly statistics by state and department group',
        description:
          'Newest period first; each given filter matches exactly. Only groups of at least k_min people are ' +
          'published, with differentially private noise; see /stats/summary for the method. `?format=csv` or ' +
          '`Accept: text/csv` for CSV. X-Total-Count gives the number of rows matching the filters. The app ' +
          '(v2.1.x, insights card) asks `?country_code=DEU&state_code=..&specialty=<department group>&limit=1` ' +
          'and reads the app fields (period_start ... computed_at); one row shape serves every client.',
        tags: ['stats', 'app'],
        querystring: StatsQuery,
        response: {
          200: {
            description: 'Published rows',
            content: { 'application/json': { schema: Type.Array(StatsRow) }, 'text/csv': { schema: Type.String() } },
          },
          304: NotModified,
        },
      },
      // Thousands of identical public reads a second would drown the log.
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (request, reply) => {
      const { country_code, period, state_code, specialty, limit, offset } = request.query;
      const csv = wantsCsv(request.query.format, request.headers.accept);
      const filter: PublicStatsFilter = { country_code, period, state_code, specialty };
      // The key holds the very filter the query runs with, so no filter can be left out of it.
      const key = JSON.stringify(['cells', csv, filter, limit, offset]);
      const cached = await statistics.cache.get(key, async (): Promise<Representation> => {
        const { rows, total } = await statistics.cells(filter, limit, offset);
        return csv
          ? {
              body: toCsv(PUBLIC_COLUMNS, rows),
              contentType: 'text/csv; charset=utf-8',
              headers: {
                'x-total-count': String(total),
                'content-disposition': `attachment; filename="open-working-hours-${period ?? 'all'}.csv"`,
              },
            }
          : { body: JSON.stringify(rows), contentType: 'application/json; charset=utf-8', headers: { 'x-total-count': String(total) } };
      });
      return sendCached(request, reply, cached, STATS_CACHE_TTL_SECONDS);
    },
  );

  app.get(
    '/stats/summary',
    {
      schema: {
        summary: 'Published months, states and department groups with their names, and the privacy method',
        description: 'Computed only from published rows. The methodology shows the current settings.',
        tags: ['stats'],
        response: { 200: Summary, 304: NotModified },
      },
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (request, reply) => {
      const cached = await statistics.cache.get('summary', async () => ({
        body: JSON.stringify(await statistics.summary()),
        contentType: 'application/json; charset=utf-8',
      }));
      return sendCached(request, reply, cached, STATS_CACHE_TTL_SECONDS);
    },
  );
}
