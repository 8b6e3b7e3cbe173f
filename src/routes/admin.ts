/**
 * The operators' area under `/admin`, behind HTTP Basic auth (`app.adminAuth`): the dashboard page and the
 * JSON it reads, which scripts can use as well. Nothing here may be cached, and every response carries a
 * Content-Security-Policy that allows no script or style but the page's own.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ADMIN_PAGE_CSP, ADMIN_PAGE_HTML } from '../pages/admin.js';
import { FEEDBACK_STATUSES } from '../services/feedback.js';
import { DEFAULT_LOG_LIMIT, LOG_BUFFER_CAPACITY, LOG_LEVELS } from '../services/log-buffer.js';
import { Offset } from './shared-schemas.js';
import { quietLogLevel } from '../plugins/log-level.js';

/** For JSON: nothing may load, nothing may frame it. */
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

const Problem = Type.Object({ detail: Type.String() });
const AuthProblems = { 401: Problem, 429: Problem, 503: Problem };
const Status = Type.Enum([...FEEDBACK_STATUSES]);
const JsonObject = Type.Object({}, { additionalProperties: true });
const Count = Type.Integer({ minimum: 0 });

/** One run of the statistics aggregation (the report `AggregationService.run` returns and records). */
const AggregationRun = Type.Object({
  run_id: Type.String(),
  status: Type.String({ description: 'success, failed or skipped' }),
  trigger: Type.String({ description: 'what started the run: schedule, cli or admin' }),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Type.String({ format: 'date-time' }),
  duration_ms: Count,
  periods: Type.Array(Type.String(), { description: 'months processed (and frozen) by this run' }),
  cells_published: Count,
  cells_suppressed: Count,
  users_counted: Count,
  message: Type.String(),
  error: Type.Union([Type.String(), Type.Null()]),
});

const AdminData = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  timezone: Type.String(),
  users: Type.Object({ total: Count, registered: Count, pending: Count }),
  work_events: Type.Object({ total: Count, last_24h: Count, last_7d: Count }),
  active_users: Type.Object({ last_24h: Count, last_7d: Count }),
  published_cells: Count,
  recent_submissions: Type.Array(
    Type.Object({
      date: Type.String({ format: 'date' }),
      planned_minutes: Count,
      actual_minutes: Count,
      submitted_at: Type.String({ format: 'date-time' }),
      user: Type.String({ description: 'short pseudonym, stable per user, not reversible' }),
    }),
  ),
  submissions_per_day: Type.Array(Type.Object({ date: Type.String({ format: 'date' }), count: Count })),
  last_aggregation: Type.Union([AggregationRun, Type.Null()], { description: 'the most recent run, whatever it did' }),
  last_publication: Type.Union([AggregationRun, Type.Null()], {
    description: 'the most recent run that published a month (null when nothing was ever published)',
  }),
  recent_aggregations: Type.Array(AggregationRun, { description: 'the latest runs, newest first' }),
});

const FeedbackReport = Type.Object({
  id: Type.String({ format: 'uuid' }),
  user: Type.Union([Type.String(), Type.Null()], { description: 'pseudonym of the signed-in sender, if any' }),
  description: Type.String(),
  app_version: Type.Union([Type.String(), Type.Null()]),
  build_number: Type.Union([Type.String(), Type.Null()]),
  platform: Type.Union([Type.String(), Type.Null()]),
  device_model: Type.Union([Type.String(), Type.Null()]),
  os_version: Type.Union([Type.String(), Type.Null()]),
  app_state: Type.Union([JsonObject, Type.Null()]),
  status: Status,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const FeedbackList = Type.Object({
  reports: Type.Array(FeedbackReport),
  counts: Type.Object({ new: Count, resolved: Count, dismissed: Count }),
});

const LogRecord = Type.Object({
  time: Type.String({ format: 'date-time' }),
  level: Type.String(),
  msg: Type.String(),
  fields: JsonObject,
});

/** Warnings and errors are what an operator opening the log viewer looks for first; `info` adds requests. */
const LogLevel = Type.Enum(Object.keys(LOG_LEVELS), { default: 'warn', description: 'minimum level; `trace` for every record' });

export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', app.adminAuth);
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', JSON_CSP);
  });
  const security = [{ adminBasic: [] }];
  // The dashboard polls every 30 seconds; logging each poll would push real records out of the log buffer.
  const quiet = { logLevel: quietLogLevel(app.config.logLevel) };

  r.get(
    '/',
    { schema: { summary: 'Admin dashboard (HTML)', tags: ['admin'], security, produces: ['text/html'] }, ...quiet },
    async (_request, reply) =>
      reply.header('content-security-policy', ADMIN_PAGE_CSP).type('text/html; charset=utf-8').send(ADMIN_PAGE_HTML),
  );

  r.get(
    '/data',
    {
      schema: { summary: 'Dashboard figures', tags: ['admin'], security, response: { 200: AdminData, ...AuthProblems } },
      ...quiet,
    },
    async () => app.services.adminDashboard.data(),
  );

  r.get(
    '/feedback',
    {
      schema: {
        summary: 'Feedback reports, newest first',
        tags: ['admin'],
        security,
        querystring: Type.Object({
          status: Type.Optional(Status),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          offset: Offset,
        }),
        response: { 200: FeedbackList, ...AuthProblems },
      },
      ...quiet,
    },
    async (request) => app.services.feedback.list(request.query),
  );

  r.patch(
    '/feedback/:id',
    {
      schema: {
        summary: 'Set the status of a feedback report',
        tags: ['admin'],
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ status: Status }, { additionalProperties: false }),
        response: { 200: FeedbackReport, 404: Problem, ...AuthProblems },
      },
    },
    async (request) => {
      // UUIDs are case-insensitive; ids are stored in lower case, and SQLite compares text exactly.
      const report = await app.services.feedback.setStatus(request.params.id.toLowerCase(), request.body.status);
      request.log.info({ feedback_id: report.id, status: report.status }, 'feedback status changed');
      return report;
    },
  );

  r.get(
    '/logs',
    {
      schema: {
        summary: "This worker process's most recent log records, newest first",
        description:
          'Records at `level` and above, `warn` unless given (`trace` for every record). With several worker ' +
          'processes (WEB_CONCURRENCY) each keeps its own records: `worker` says whose these are, and the ' +
          'next request may be answered by another worker. stdout has the records of all of them.',
        tags: ['admin'],
        security,
        querystring: Type.Object({
          level: LogLevel,
          search: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Integer({ minimum: 1, maximum: LOG_BUFFER_CAPACITY, default: DEFAULT_LOG_LIMIT }),
        }),
        response: {
          200: Type.Object({
            records: Type.Array(LogRecord),
            buffered: Count,
            capacity: Count,
            worker: Type.Object({ slot: Count, workers: Count, pid: Count }),
          }),
          ...AuthProblems,
        },
      },
      ...quiet,
    },
    async (request) => {
      const { level, search, limit } = request.query;
      return {
        records: app.logBuffer.query({ level: level as keyof typeof LOG_LEVELS, search, limit }),
        buffered: app.logBuffer.size,
        capacity: app.logBuffer.capacity,
        worker: { slot: app.role.slot, workers: app.role.workers, pid: process.pid },
      };
    },
  );

  r.post(
    '/aggregate',
    {
      schema: {
        summary: 'Run the statistics aggregation now and return its report',
        description:
          'Publishes every closed, unpublished month (or only `period`). Safe while the schedule or another ' +
          'instance runs: then the report says "skipped". A failed run is reported with status "failed".',
        tags: ['admin'],
        security,
        querystring: Type.Object(
          { period: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'YYYY-MM' })) },
          { additionalProperties: false },
        ),
        response: { 200: AggregationRun, 422: Problem, ...AuthProblems },
      },
    },
    async (request) => app.services.aggregation.run({ period: request.query.period, trigger: 'admin' }),
  );
}
