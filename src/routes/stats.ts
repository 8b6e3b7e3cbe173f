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
import { MARGINAL_COLUMNS, PUBLIC_COLUMNS, STATS_CACHE_TTL_SECONDS, type PublicStatsFilter } from '../services/statistics.js';
import { WHO_COUNTS } from '../services/statistics-method.js';
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
  profession: Type.Optional(
    Type.Union([Type.Literal('physician'), Type.Literal('nurse'), Type.Literal('other')], {
      description: 'The cells (state × department group × profession) of this profession; without it, all professions together',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100, description: 'Rows per page (default 100, at most 5000)' }),
  offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv, or send Accept: text/csv' })),
});
type StatsQuery = Static<typeof StatsQuery>;

const MarginalsQuery = Type.Object({
  period: Type.Optional(Type.String({ pattern: PERIOD_PATTERN, description: 'Month, YYYY-MM' })),
  level: Type.Optional(
    Type.Union([Type.Literal('germany'), Type.Literal('state'), Type.Literal('department_group'), Type.Literal('profession')], {
      description: 'One level; without it, all four',
    }),
  ),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv, or send Accept: text/csv' })),
});

const MarginalRow = Type.Object({
  period: Type.String({ description: 'Month, YYYY-MM' }),
  level: Type.String({ description: 'germany, state, department_group or profession' }),
  method: Type.String({ description: 'The method that produced the figure' }),
  state_code: Nullable(Type.String()),
  department_group: Nullable(Type.String()),
  profession: Nullable(Type.String()),
  n_display: Type.Integer({ description: 'The noisy count of people (≥ k_min, else the figure is not published)' }),
  actual_mean_hours: Type.Number({ description: 'Mean actual weekly hours' }),
  planned_mean_hours: Type.Number({ description: 'Mean planned weekly hours' }),
  overtime_mean_hours: Type.Number({ description: 'actual − planned, to the cent' }),
  actual_ci_half: Type.Number({ description: '90% interval: the true mean lies within ± this with at least 90% probability' }),
  planned_ci_half: Type.Number(),
  overtime_ci_half: Type.Number(),
  epsilon: Type.Number({ description: 'Privacy budget per person and month of the release' }),
  k_min: Type.Integer(),
  computed_at: Type.String({ format: 'date-time' }),
});

const Hours = (description: string) => Nullable(Type.Number({ description }));
const StatsRow = Type.Object({
  period: Type.String({ description: 'Month, YYYY-MM' }),
  state_code: Type.String(),
  specialty: Type.String({ description: 'Department group or not_specified (older months: a specialty of the first vocabulary)' }),
  profession: Nullable(Type.String({ description: 'Null: all professions together; else the profession of a cell' })),
  level: Type.String({ description: 'state_department_group, or cell (with ?profession=)' }),
  method: Type.String({ description: "The method that produced the row: 'v1-laplace-2026' or 'v2-bounded-mean-2026'" }),
  n_users: Type.Integer({ description: 'The displayed, noisy count of people (first method: the exact count rounded down to a multiple of 5)' }),
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
  status: Type.Literal('published', { description: 'Only displayed figures exist; those with too few people (noisy count below the threshold) or too wide an interval are never stored' }),
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
    method: Type.String(),
    k_min: Type.Integer(),
    epsilon: Type.Number(),
    epsilon_split: Type.Object({
      count: Type.Record(Type.String(), Type.Number()),
      actual: Type.Record(Type.String(), Type.Number()),
      overtime: Type.Record(Type.String(), Type.Number()),
    }),
    weekly_hours_cap: Type.Number(),
    first_period: Type.String(),
    grace_days: Type.Integer(),
    timezone: Type.String(),
    who_counts: Type.String(),
    noise: Type.String(),
    noise_grid_hours: Type.Number(),
    display_rule: Type.String(),
    display_thresholds: Type.Record(Type.String(), Type.Integer()),
    max_half_width_hours: Type.Number(),
    small_cell_display_probability: Type.Number(),
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
          'Newest period first; each given filter matches exactly. One row per month, state and department group ' +
          '(all professions together); with `profession`, the cells of that profession. Only figures whose noisy ' +
          'count reaches their threshold (at least k_min) and whose 90% intervals are within the maximum are ' +
          'published, each with its intervals; see /stats/summary and docs/privacy.md ' +
          'for the method, and /stats/marginals for Germany and the per-state, per-group and per-profession figures. `?format=csv` or ' +
          '`Accept: text/csv` for CSV. X-Total-Count gives the number of rows matching the filters. The app ' +
          '(v2.1.x, insights card) asks `?country_code=DEU&state_code=..&specialty=<department group>&limit=1` ' +
          'and reads the app fields (period_start ... computed_at); one row shape serves every client.\n\n' +
          WHO_COUNTS,
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
      const { country_code, period, state_code, specialty, profession, limit, offset } = request.query;
      const csv = wantsCsv(request.query.format, request.headers.accept);
      const filter: PublicStatsFilter = { country_code, period, state_code, specialty, profession };
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
    '/stats/marginals',
    {
      schema: {
        summary: 'Published monthly figures for Germany and per state, department group and profession',
        description:
          'The levels people read, each the sum of its cells (consistent), with every figure’s 90% interval. Newest ' +
          'period first. `?format=csv` or `Accept: text/csv` for CSV.',
        tags: ['stats'],
        querystring: MarginalsQuery,
        response: {
          200: {
            description: 'Published figures',
            content: { 'application/json': { schema: Type.Array(MarginalRow) }, 'text/csv': { schema: Type.String() } },
          },
          304: NotModified,
        },
      },
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (request, reply) => {
      const { period, level } = request.query;
      const csv = wantsCsv(request.query.format, request.headers.accept);
      const filter = { period, level };
      const key = JSON.stringify(['marginals', csv, filter]);
      const cached = await statistics.cache.get(key, async (): Promise<Representation> => {
        const rows = await statistics.marginals(filter);
        return csv
          ? {
              body: toCsv(MARGINAL_COLUMNS, rows),
              contentType: 'text/csv; charset=utf-8',
              headers: { 'content-disposition': `attachment; filename="open-working-hours-marginals-${period ?? 'all'}.csv"` },
            }
          : { body: JSON.stringify(rows), contentType: 'application/json; charset=utf-8' };
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
