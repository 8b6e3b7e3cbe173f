/** OpenAPI 3 document generated from the route schemas, and Swagger UI to browse it. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

export async function installDocs(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Open Working Hours API',
        description:
          'Hospital doctors in Germany record their real working hours; the service publishes k-anonymous, ' +
          'differentially private monthly statistics. Errors are always `{"detail": "..."}`.',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          adminBasic: { type: 'http', scheme: 'basic' },
        },
      },
    },
  });
  if (config.docsEnabled) {
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
