/** The vocabularies of a profile, for the app's pickers and the statistics page's labels. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { TAXONOMY } from '../services/taxonomy.js';

const Entries = Type.Array(Type.Object({ code: Type.String(), de: Type.String(), en: Type.String() }));

export default async function taxonomyRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/taxonomy',
    {
      schema: {
        summary: 'German states, specialties and role levels: stable codes with German and English labels',
        tags: ['taxonomy'],
        response: { 200: Type.Object({ states: Entries, specialties: Entries, role_levels: Entries }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return TAXONOMY;
    },
  );
}
