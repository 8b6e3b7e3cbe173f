import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { quietLogLevel } from '../plugins/log-level.js';

const Healthy = Type.Object({ status: Type.Literal('ok') });
const Degraded = Type.Object({ status: Type.Literal('degraded'), database: Type.Literal('unreachable') });

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness and readiness: runs a real database query',
        tags: ['health'],
        response: { 200: Healthy, 503: Degraded },
      },
      logLevel: quietLogLevel(app.config.logLevel),
    },
    async (_request, reply) => {
      try {
        await app.database.ping();
        return { status: 'ok' as const };
      } catch {
        return reply.code(503).send({ status: 'degraded' as const, database: 'unreachable' as const });
      }
    },
  );
}
