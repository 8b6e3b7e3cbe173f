/**
 * One error format everywhere: `{"detail": "<human readable message>"}`. The mobile app shows `detail` to the
 * user, so unexpected errors are logged in full and answered with a generic sentence, never internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STALE_PLAN_MESSAGE } from '../db/prepared-statements.js';
import { AppError } from '../errors.js';
import { DEFAULT_BODY_LIMIT, formatBytes } from './validation.js';

/** Fastify's own client errors, with the status we answer and the sentence the user sees. */
const FASTIFY_CLIENT_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'Malformed JSON in request body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'Request body is empty but Content-Type is application/json'],
  // The limit depends on the route: the sentence is completed in bodyTooLarge().
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'Request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'Unsupported Content-Type; send application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'Content-Length does not match the body'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'Invalid Content-Type header'],
  FST_ERR_BAD_URL: [400, 'Malformed URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'A path segment of the URL is too long'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'Bad request'],
};

/**
 * Errors from the database driver that mean "the database cannot answer this right now, a retry will
 * work": unreachable, restarting, busy, or a prepared statement outdated by a migration of another process
 * (see src/db/prepared-statements.ts).
 */
function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  const message = e?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300'].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|database is locked|SQLITE_BUSY/i.test(
      message,
    ) ||
    STALE_PLAN_MESSAGE.test(message)
  );
}

/**
 * For Fastify's `frameworkErrors` option. Errors found while routing (a malformed percent-encoding in the
 * path, an overlong path parameter) reach neither the error handler nor any hook; without this they would
 * be answered in Fastify's own format, without `detail` (and without the security headers, passed here).
 */
export function frameworkErrorHandler(headers: Record<string, string>) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    const [status, detail] = FASTIFY_CLIENT_ERRORS[error.code] ?? [400, 'Bad request'];
    void reply.code(status).headers(headers).send({ detail });
  };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return reply.code(error.statusCode).headers(error.headers).send({ detail: error.detail, ...error.fields });
    }
    if (error.validation) {
      return reply.code(422).send({ detail: error.message });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const type = request.headers['content-type']?.split(';')[0]?.trim().slice(0, 100);
      return reply.code(415).send({
        detail: `Unsupported Content-Type${type ? ` ${type}` : ''}: send the body as JSON with Content-Type: application/json`,
      });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit ?? DEFAULT_BODY_LIMIT;
      return reply.code(413).send({ detail: `Request body is too large (the limit here is ${formatBytes(limit)})` });
    }
    const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (known) {
      return reply.code(known[0]).send({ detail: known[1] });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
      return reply.code(503).header('retry-after', '5').send({ detail: 'Service temporarily unavailable, please retry shortly' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // A client error raised by Fastify or a plugin; its message is written for clients.
      return reply.code(status).send({ detail: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal server error' });
  });

  // A known path asked with a method it does not have is 405 with `Allow`, as the original backend (and HTTP)
  // answers, so that a client learns its mistake rather than a misleading "not found".
  const methodsByPath: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    // Catch-alls (CORS preflight on `*`) describe no path.
    if (route.url === '*' || route.url === '/*') return;
    const pattern = pathPattern(route.url ?? route.path);
    let entry = methodsByPath.find((e) => e.pattern.source === pattern.source);
    if (!entry) methodsByPath.push((entry = { pattern, methods: new Set() }));
    for (const method of [route.method].flat()) entry.methods.add(method);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = [...new Set(methodsByPath.filter((e) => e.pattern.test(path)).flatMap((e) => [...e.methods]))].sort();
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ detail: `Method ${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}` });
    }
    return reply.code(404).send({ detail: `Not found: ${request.method} ${path}` });
  });
}

/** A route's URL as a regular expression over concrete paths (`:name` matches one segment, `*` the rest). */
function pathPattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}
