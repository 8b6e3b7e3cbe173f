/** OpenAPI 3 document generated from the route schemas, and Swagger UI to browse it. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import { CREDENTIALS_CONSTRAINT } from './auth.js';

/** Descriptions of the tags; routes name their tags in their schemas. */
const TAGS = [
  {
    name: 'app',
    description:
      'The paths the Open Working Hours app v2.1.0–v2.1.4 (iOS and Android) calls, with the bodies and answers ' +
      'it expects. They share accounts, codes, tokens and limits with the rest of the API.',
  },
];

type DocumentedSchema = FastifySchema & { summary?: string; description?: string; tags?: string[]; security?: object[]; hide?: boolean };

export async function installDocs(app: FastifyInstance, config: Config): Promise<void> {
  // OpenAPI has one operation per method and path. Routes that share both and are told apart by a route
  // constraint (our Bearer `/auth/register` and the app's token-less one) are documented as one operation
  // describing each variant; see `mergeVariants`.
  const routesByOperation = new Map<string, RouteOptions[]>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const key = `${method} ${route.url}`;
      routesByOperation.set(key, [...(routesByOperation.get(key) ?? []), route]);
    }
  });
  const variantsOf = (route: RouteOptions) => {
    const methods = [route.method].flat();
    const variants = methods.length === 1 ? routesByOperation.get(`${methods[0]} ${route.url}`) : undefined;
    return variants && variants.length > 1 ? variants : null;
  };

  await app.register(swagger, {
    transform: ({ schema, url, route }) => {
      const variants = variantsOf(route);
      if (!variants || !schema) return { schema, url };
      // The unconstrained route carries the merged description; the others are folded into it.
      if (isConstrained(route)) return { schema: { ...schema, hide: true } as FastifySchema, url };
      return { schema: mergeVariants(variants), url };
    },
    openapi: {
      tags: TAGS,
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
  // One switch for both: with DOCS_ENABLED=false (the production default) the API is not described at all,
  // neither browsable nor as a document (it lists every admin operation).
  if (config.docsEnabled) {
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }
}

const isConstrained = (route: RouteOptions) => Object.keys(route.constraints ?? {}).length > 0;

function variantLabel(route: RouteOptions): string {
  if (!isConstrained(route)) return 'Without an `Authorization` header';
  if (route.constraints?.[CREDENTIALS_CONSTRAINT] === 'bearer') return 'With `Authorization: Bearer <token>`';
  return `With ${JSON.stringify(route.constraints)}`;
}

/** One operation for several routes at one method and path: bodies as `oneOf`, every response, each variant described. */
function mergeVariants(routes: RouteOptions[]): FastifySchema {
  const variants = [...routes].sort((a, b) => Number(isConstrained(a)) - Number(isConstrained(b)));
  const schemas = variants.map((route) => (route.schema ?? {}) as DocumentedSchema);
  const bodies = schemas.map((schema) => schema.body).filter((body) => body !== undefined);
  const responses = Object.assign({}, ...schemas.map((schema) => schema.response ?? {}).reverse());
  return {
    summary: schemas.map((schema) => schema.summary).filter(Boolean).join(' | '),
    description: variants
      .map((route, i) => `**${variantLabel(route)}:** ${schemas[i]!.summary ?? ''}. ${schemas[i]!.description ?? ''}`.trim())
      .join('\n\n'),
    tags: [...new Set(schemas.flatMap((schema) => schema.tags ?? []))],
    // `{}`: the operation may also be called without credentials.
    security: schemas.flatMap((schema) => schema.security ?? [{}]),
    ...(bodies.length > 0 ? { body: bodies.length === 1 ? bodies[0] : { oneOf: bodies } } : {}),
    response: responses,
  } as DocumentedSchema;
}
