/** The profile vocabulary (the app's), for pickers, clients and the statistics page's labels. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { TAXONOMY } from '../services/taxonomy.js';

const Entry = { code: Type.String(), de: Type.String(), en: Type.String() };
const Entries = Type.Array(Type.Object(Entry));

export default async function taxonomyRoutes(app: FastifyInstance): Promise<void> {
  // From the configuration (CURRENT_TERMS_VERSION / CURRENT_PRIVACY_VERSION): what a client must send.
  const consentVersions = { terms: app.config.currentTermsVersion, privacy: app.config.currentPrivacyVersion };
  app.get(
    '/taxonomy',
    {
      schema: {
        summary: 'The profile vocabulary: stable codes with German and English labels',
        description:
          'Professions, seniorities (each for one profession), department groups (also the legacy `specialty` and the ' +
          'statistics cell key), specialization codes (each in one department group) and German states. ' +
          '`not_specified` is what the legacy fields hold when nothing was chosen. `hospital_ref_id` is any integer ' +
          "of the app's hospital directory, or null. `consent_versions`: the current terms and privacy policy versions, the " +
          'only ones `terms_version` / `privacy_version` may name when registering or consenting.',
        tags: ['taxonomy', 'app'],
        response: {
          200: Type.Object({
            country_code: Type.String(),
            not_specified: Type.String(),
            professions: Entries,
            seniorities: Type.Array(Type.Object({ ...Entry, profession: Type.String() })),
            department_groups: Entries,
            specializations: Type.Array(Type.Object({ ...Entry, department_group: Type.String() })),
            states: Entries,
            consent_versions: Type.Object(
              { terms: Type.String(), privacy: Type.String() },
              { description: 'The versions of the terms and the privacy policy that registration and consent must name' },
            ),
          }),
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return { ...TAXONOMY, consent_versions: consentVersions };
    },
  );
}
