/** The public statistics page at `/`: a static, self-contained document that reads the public stats API. */
import type { FastifyInstance } from 'fastify';
import { STATISTICS_PAGE_CSP, statisticsPageHtml } from '../pages/statistics.js';
import { sendCached } from '../plugins/http-cache.js';
import { encode } from '../services/response-cache.js';
import { quietLogLevel } from '../plugins/log-level.js';

const PAGE_MAX_AGE_SECONDS = 300;

export default async function publicPageRoutes(app: FastifyInstance): Promise<void> {
  // Built once: the only variable parts are the operator's links, read at start.
  const page = encode({ body: statisticsPageHtml(app.config.publicPage), contentType: 'text/html; charset=utf-8' });
  app.get(
    '/',
    {
      schema: { summary: 'Public statistics page (HTML, German and English)', tags: ['stats'], produces: ['text/html'] },
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (request, reply) => {
      reply.header('content-security-policy', STATISTICS_PAGE_CSP);
      return sendCached(request, reply, page, PAGE_MAX_AGE_SECONDS);
    },
  );
}
